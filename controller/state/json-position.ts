/**
 * Where a JSON text goes wrong. `JSON.parse` names a position for some errors and only a
 * snippet for others (`Unexpected token '}', "{"a":}" is not valid JSON`), so a small scanner
 * finds the offset itself; it runs only after a parse has already failed.
 */

/** A place in a text: 0-based `offset`, 1-based `line` and `column`. */
export interface TextPosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** Line and column (1-based) of a 0-based offset. */
export function positionAt(text: string, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: end - lineStart + 1 };
}

class Stop {
  constructor(readonly offset: number) {}
}

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/**
 * The offset of the first syntax error in `text`, or undefined when it is valid JSON. The end
 * of the text is the offset of a truncated document.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && WS.has(text[i] as string)) i++;
  };
  const expect = (ch: string): void => {
    if (text[i] !== ch) throw new Stop(i);
    i++;
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      const code = text.charCodeAt(i);
      if (code === 0x22 || code < 0x20 || Number.isNaN(code)) break; // quote, control, end
      if (code !== 0x5c) {
        i++;
        continue;
      }
      ESCAPE.lastIndex = i;
      if (ESCAPE.exec(text) === null) throw new Stop(i);
      i = ESCAPE.lastIndex;
    }
    expect('"');
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        string();
        ws();
        expect(':');
        value();
        ws();
        if (text[i] === '}') return void i++;
        expect(',');
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ']') return void i++;
        expect(',');
      }
    }
    if (ch === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) return void (i += word.length);
    }
    NUMBER.lastIndex = i;
    if (NUMBER.exec(text) === null) throw new Stop(i);
    i = NUMBER.lastIndex;
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (err) {
    if (err instanceof Stop) return err.offset;
    return undefined; // nesting deeper than the stack: no position to give
  }
}
