/** The lines of a readable stream, one at a time: constant memory whatever its size. */
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

/** Yields `input`'s lines (`\n` or `\r\n`); the stream is destroyed when the caller stops early or ends. */
export async function* streamLines(input: Readable): AsyncGenerator<string, void, undefined> {
  const reader = createInterface({ input, crlfDelay: Infinity });
  try {
    yield* reader;
  } finally {
    reader.close();
    input.destroy();
  }
}
