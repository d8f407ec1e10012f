/** Options of a `DecisionMemory`. */
export interface DecisionMemoryOptions {
  /** How many decisions to remember (default 1024); the least recently used is forgotten first. */
  readonly limit?: number;
}

/**
 * Remembers the answer given to recent decisions, in bounded memory, so a retried command with the
 * same decision id is answered again instead of applied again. Least recently used entries are
 * forgotten first (a Map keeps insertion order; a hit moves its entry to the end).
 */
export class DecisionMemory<V> {
  readonly limit: number;
  readonly #answers = new Map<string, V>();

  constructor(options: DecisionMemoryOptions = {}) {
    const limit = options.limit ?? 1024;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be an integer >= 1, got ${String(limit)}`);
    }
    this.limit = limit;
  }

  /** The answer remembered for `id`, or undefined. A hit makes the entry the most recently used. */
  recall(id: string): V | undefined {
    if (!this.#answers.has(id)) return undefined;
    const answer = this.#answers.get(id) as V;
    this.#answers.delete(id);
    this.#answers.set(id, answer);
    return answer;
  }

  /** Remembers `answer` for `id`, forgetting the least recently used entry beyond the limit. */
  remember(id: string, answer: V): void {
    this.#answers.delete(id);
    this.#answers.set(id, answer);
    if (this.#answers.size > this.limit) {
      const oldest = this.#answers.keys().next();
      if (oldest.done !== true) this.#answers.delete(oldest.value);
    }
  }

  /** How many decisions are remembered now. */
  get size(): number {
    return this.#answers.size;
  }
}
