/**
 * Clients that attack the controller's API over loopback: wrong tokens in a row, request bodies
 * dripped a byte a second, sockets left open. Bounded in count; `close()` ends every socket.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export class HostileClients {
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The status codes the wrong-token requests got, with their counts. */
  readonly wrongTokenAnswers = new Map<number, number>();

  constructor(private readonly base: string) {}

  /** POSTs /api/v1/pause `count` times in a row, each with a different wrong token. */
  async wrongTokens(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const res = await fetch(`${this.base}/api/v1/pause`, {
        method: 'POST',
        headers: { authorization: `Bearer wrong-${i}` },
      });
      await res.arrayBuffer();
      this.wrongTokenAnswers.set(res.status, (this.wrongTokenAnswers.get(res.status) ?? 0) + 1);
    }
  }

  /** Opens `count` sockets; each sends the start of a PUT and then one byte of body every second. */
  drip(count: number): void {
    const { hostname, port } = new URL(this.base);
    for (let i = 0; i < count; i++) {
      const socket = connect(Number(port), hostname);
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
      this.sockets.add(socket);
      socket.write(
        'PUT /api/v1/services/nas/pools/buffers/override HTTP/1.1\r\nhost: 127.0.0.1\r\n' +
          'content-type: application/json\r\ncontent-length: 60000\r\n\r\n{',
      );
      let left = 600; // at most ten minutes of drip, even if nobody calls close()
      const timer = setInterval(() => {
        if (socket.destroyed || --left <= 0) {
          clearInterval(timer);
          socket.destroy();
          return;
        }
        socket.write(' ');
      }, 1000);
      this.timers.add(timer);
    }
  }

  /** Sockets the server has not closed yet. */
  get open(): number {
    return this.sockets.size;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
  }
}
