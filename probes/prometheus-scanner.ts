/**
 * The line cursor of the Prometheus text parser, and its error: a message for the operator who
 * reads the page themselves (`reason`), and the same message with every piece of the page's text
 * replaced by "…" (`problem`), safe to show where the page's author must not be quoted.
 */

/** Thrown inside the parser only, to stop at the first bad line. Build it with {@link lineError}. */
export class LineError extends Error {
  constructor(
    message: string,
    /** The message without any text from the input. */
    readonly problem: string,
  ) {
    super(message);
  }
}

/** A tagged template: `lineError\`bad value ${text} for ${name}\`` quotes the values in `message` only. */
export function lineError(strings: TemplateStringsArray, ...values: unknown[]): LineError {
  const message = strings.reduce((out, s, i) => out + String(values[i - 1]) + s);
  return new LineError(message, strings.join('…'));
}

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;
const isLetter = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** A cursor over one line. */
export class Scanner {
  pos = 0;
  constructor(private readonly line: string) {}

  done(): boolean {
    return this.pos >= this.line.length;
  }
  peek(): string {
    return this.line.charAt(this.pos);
  }
  next(): string {
    return this.line.charAt(this.pos++);
  }
  atBlank(): boolean {
    return isBlank(this.line.charCodeAt(this.pos));
  }
  skipBlanks(): void {
    while (this.atBlank()) this.pos++;
  }
  rest(): string {
    return this.line.slice(this.pos);
  }
  /** The next character for an error message, or "end of line". */
  show(): string {
    return this.done() ? 'end of line' : JSON.stringify(this.peek());
  }
  /** Up to the next blank or the end of the line. */
  token(): string {
    const from = this.pos;
    while (!this.done() && !this.atBlank()) this.pos++;
    return this.line.slice(from, this.pos);
  }
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`, or '' when none starts here. */
  metricName(): string {
    return this.name(true);
  }
  /** `[a-zA-Z_][a-zA-Z0-9_]*`, or '' when none starts here. */
  labelName(): string {
    return this.name(false);
  }
  private name(colon: boolean): string {
    const from = this.pos;
    for (;;) {
      const c = this.line.charCodeAt(this.pos);
      const ok = isLetter(c) || (colon && c === 0x3a) || (this.pos > from && isDigit(c));
      if (!ok) break;
      this.pos++;
    }
    return this.line.slice(from, this.pos);
  }
  /** The rest of a label value after its opening quote, unescaped; consumes the closing quote. */
  quoted(label: string): string {
    let out = '';
    let from = this.pos;
    for (;;) {
      if (this.done()) throw lineError`unterminated value of label ${label}`;
      const c = this.line.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += this.line.slice(from, this.pos);
      const e = this.line.charAt(this.pos + 1);
      if (e === '\\' || e === '"') out += e;
      else if (e === 'n') out += '\n';
      else if (e === '') throw lineError`unterminated value of label ${label}`;
      else throw lineError`invalid escape \\${e} in the value of label ${label}`;
      this.pos += 2;
      from = this.pos;
    }
    out += this.line.slice(from, this.pos);
    this.pos++;
    return out;
  }
}
