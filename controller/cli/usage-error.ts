/** A command line that cannot be run as written: the CLI prints usage and exits 2. */
export class UsageError extends Error {
  readonly code = 'POOLPILOT_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
