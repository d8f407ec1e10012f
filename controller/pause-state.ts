/**
 * Whether the controller is paused (`POST /api/v1/pause`): decisions are still made and recorded,
 * nothing is pushed. One owner; the loop only reads it.
 */
export class PauseState {
  private value: boolean;

  constructor(initial = false) {
    this.value = initial;
  }

  get paused(): boolean {
    return this.value;
  }

  set(paused: boolean): void {
    this.value = paused;
  }
}
