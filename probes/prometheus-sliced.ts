/**
 * Parses Prometheus text without holding the event loop: the parser runs in slices of a few
 * milliseconds and gives the loop back (setImmediate) between them, so `/healthz` and the
 * controller's own ticks still answer while a heavy page is read.
 */
import { PromTextParser } from './prometheus-text.js';
import type { PromTextParseOptions } from './prometheus-limits.js';
import type { PromTextParse } from './prometheus-text.js';

/** How long one slice may run before the loop gets a turn. */
export const PARSE_SLICE_MS = 4;
/** Lines parsed between two looks at the clock. */
const LINES_PER_CHECK = 64;

export interface SlicedParseOptions extends PromTextParseOptions {
  /** Default {@link PARSE_SLICE_MS}. */
  readonly sliceMs?: number;
  /** A monotonic clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
  /** Gives the loop a turn (default setImmediate). */
  readonly yieldToLoop?: () => Promise<void>;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** {@link parsePromText}, the same result, with the loop given back every `sliceMs`. */
export async function parsePromTextSliced(
  text: string,
  options: SlicedParseOptions = {},
): Promise<PromTextParse> {
  const sliceMs = options.sliceMs ?? PARSE_SLICE_MS;
  const now = options.now ?? ((): number => performance.now());
  const yieldToLoop = options.yieldToLoop ?? nextTurn;
  const parser = new PromTextParser(text, options);
  for (;;) {
    const until = now() + sliceMs;
    let done = parser.step(LINES_PER_CHECK);
    while (!done && now() < until) done = parser.step(LINES_PER_CHECK);
    if (done) return parser.result();
    await yieldToLoop();
  }
}
