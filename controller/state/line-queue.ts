/** Lines waiting for the disk, bounded in bytes: a slow or failing disk cannot grow the process. */
export class LineQueue {
  private readonly lines: Array<{ readonly line: string; readonly bytes: number }> = [];
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get length(): number {
    return this.lines.length;
  }

  /** Queues `line`; false (and nothing queued) when it would pass `maxBytes`. */
  push(line: string): boolean {
    const bytes = Buffer.byteLength(line);
    if (this.bytes + bytes > this.maxBytes) return false;
    this.lines.push({ line, bytes });
    this.bytes += bytes;
    return true;
  }

  /** The oldest line and its size in bytes, left queued. */
  peek(): { readonly line: string; readonly bytes: number } | undefined {
    return this.lines[0];
  }

  /** Drops the oldest line. */
  shift(): void {
    const first = this.lines.shift();
    if (first) this.bytes -= first.bytes;
  }

  /** Drops every line; returns how many there were. */
  clear(): number {
    const n = this.lines.length;
    this.lines.length = 0;
    this.bytes = 0;
    return n;
  }
}
