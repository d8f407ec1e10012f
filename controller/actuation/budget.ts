/**
 * The time budget of one push: a deadline over all its attempts and the delays between them, and
 * the abort of whichever attempt is current when the deadline passes or the pusher closes. One
 * AbortController per attempt and none for the push itself: controllers are the dearest part of
 * a push's own cost.
 */
import { PushError } from './push-error.js';

/** The failure of a push whose deadline passed while it waited for a slot or between attempts. */
export function deadlineError(deadlineMs: number): PushError {
  return new PushError('POOLPILOT_PUSH_DEADLINE', `timeout: the push's deadline of ${deadlineMs} ms passed`, {
    retryable: false,
    unhealthy: false,
  });
}

/** The deadline of one push and the controller of its current attempt. */
export class PushBudget {
  private readonly timer: NodeJS.Timeout;
  private current: AbortController | undefined;
  /** Why the budget ended early (the deadline, or the pusher closing); undefined while it runs. */
  ended: PushError | undefined;

  constructor(deadlineMs: number) {
    this.timer = setTimeout(() => this.end(deadlineError(deadlineMs)), deadlineMs);
  }

  /**
   * The controller of the next attempt. It is aborted with {@link ended} when the budget ends
   * (already, if it has); the attempt may abort it itself, for its own timeout.
   */
  attempt(): AbortController {
    const controller = new AbortController();
    if (this.ended !== undefined) controller.abort(this.ended);
    this.current = controller;
    return controller;
  }

  /** Ends the budget now with `reason`, aborting the current attempt; later calls change nothing. */
  end(reason: PushError): void {
    if (this.ended !== undefined) return;
    this.ended = reason;
    this.current?.abort(reason);
  }

  /** Stops the deadline's timer, once the push has ended. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}
