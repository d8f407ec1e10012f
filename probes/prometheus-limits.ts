/** The bounds the Prometheus text parser applies to what a peer sends. */

/** The largest exposition accepted, in UTF-8 bytes (a Go service's runtime metrics are ~10 KiB). */
export const MAX_EXPOSITION_BYTES = 4 * 1024 * 1024;

/** The most samples (series) an exposition may hold (a Go service's runtime metrics are ~300). */
export const MAX_EXPOSITION_SAMPLES = 10_000;

/**
 * The most labels one sample may carry (real series carry under 20). Bounds the work of a single
 * line, which the sliced parser cannot interrupt: 300,000 labels on one line took ~2 s.
 */
export const MAX_SAMPLE_LABELS = 128;

/**
 * The longest line accepted, in characters. One line is parsed in one go, so this bounds how long
 * the parser holds the loop between two slices (a 4 MiB line of escapes took ~1 s).
 */
export const MAX_LINE_LENGTH = 64 * 1024;

export interface PromTextParseOptions {
  /** Refuse larger inputs (default {@link MAX_EXPOSITION_BYTES}). */
  readonly maxBytes?: number;
  /** Refuse an input with more samples (default {@link MAX_EXPOSITION_SAMPLES}). */
  readonly maxSamples?: number;
  /** Refuse a sample with more labels (default {@link MAX_SAMPLE_LABELS}). */
  readonly maxLabels?: number;
  /** Refuse a longer line (default {@link MAX_LINE_LENGTH}). */
  readonly maxLineLength?: number;
}
