/**
 * The most digits a {@link LineScanner} number may have: up to 15 digits an integer is exact as a
 * double, so `digits / 10 ** k` is one correctly rounded division, the very double `Number()` gives.
 */
export const MAX_SCAN_DIGITS = 15;

const SPACE = 0x20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * A cursor over the text of a /proc file, for the probes' fast paths: strict and small on purpose.
 * A method that does not find what it expects says so (false, or NaN); the caller then gives up
 * and lets the tolerant parser decide.
 */
export class LineScanner {
  constructor(
    private readonly text: string,
    /** Index of the next character to read. */
    public pos = 0,
  ) {}

  /** Consumes `literal` when it comes next. */
  eat(literal: string): boolean {
    if (!this.text.startsWith(literal, this.pos)) return false;
    this.pos += literal.length;
    return true;
  }

  /** Consumes spaces and tabs; returns how many. */
  blanks(): number {
    const start = this.pos;
    let c = this.text.charCodeAt(this.pos);
    while (c === SPACE || c === TAB) c = this.text.charCodeAt(++this.pos);
    return this.pos - start;
  }

  /** Consumes spaces (not tabs); returns how many. */
  spaces(): number {
    const start = this.pos;
    while (this.text.charCodeAt(this.pos) === SPACE) this.pos++;
    return this.pos - start;
  }

  /** Consumes `digits` and returns their value; NaN when there is none or too many (see {@link MAX_SCAN_DIGITS}). */
  integer(): number {
    return this.number(false);
  }

  /** Consumes `digits[.digits]` and returns its value, exactly as `Number()` would; NaN as for {@link integer}. */
  decimal(): number {
    return this.number(true);
  }

  private number(fraction: boolean): number {
    const { text } = this;
    let mantissa = 0;
    let digits = 0;
    let scale = 1;
    let c = text.charCodeAt(this.pos);
    while (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      c = text.charCodeAt(++this.pos);
    }
    if (digits === 0) return NaN;
    if (fraction && c === DOT) {
      c = text.charCodeAt(++this.pos);
      const before = digits;
      while (c >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        scale *= 10;
        c = text.charCodeAt(++this.pos);
      }
      if (digits === before) return NaN;
    }
    if (digits > MAX_SCAN_DIGITS) return NaN;
    return scale === 1 ? mantissa : mantissa / scale;
  }

  /** Consumes the newline that ends the line; false at the end of the text (a cut-short line). */
  newline(): boolean {
    if (this.text.charCodeAt(this.pos) !== NEWLINE) return false;
    this.pos++;
    return true;
  }
}
