/**
 * A breaker's open period set by the test: cockatiel compares the time since the breaker opened
 * with this duration at each push, so 0 lets the next push through as the trial and a large
 * value keeps the breaker open, without the test waiting on the clock.
 */
import type { IBackoff, IBackoffFactory, IHalfOpenAfterBackoffContext } from 'cockatiel';

export class ManualHalfOpen implements IBackoffFactory<IHalfOpenAfterBackoffContext> {
  ms = 60_000;
  next(): IBackoff<IHalfOpenAfterBackoffContext> {
    const read = (): number => this.ms;
    return {
      get duration() {
        return read();
      },
      next: () => this.next(),
    };
  }
}
