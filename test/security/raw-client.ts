/**
 * A hostile HTTP client on a bare socket: it writes what it is told, drips more bytes on a timer,
 * and reports what came back and who closed the connection.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface RawExchange {
  /** Everything the server wrote, as latin1 text. */
  readonly text: string;
  /** How many drips were written before the connection closed. */
  readonly drips: number;
  /** True when the client gave up (its safety limit) rather than the server closing. */
  readonly cutByClient: boolean;
}

export interface RawOptions {
  /** Written on connect. */
  readonly first: string;
  /** Written every `everyMs`, at most `max` times, while the connection is open. */
  readonly drip?: { readonly text: string; readonly everyMs: number; readonly max: number };
  /**
   * The client closes the connection itself after this long: a safety net so that a server that
   * never cuts fails the test instead of hanging it. 20 s by default.
   */
  readonly giveUpMs?: number;
}

/** Connects to 127.0.0.1:`port`, plays `options`, and resolves once the connection is closed. */
export function exchange(port: number, options: RawOptions): Promise<RawExchange> {
  return new Promise((resolve) => {
    let text = '';
    let drips = 0;
    let cutByClient = false;
    let dripTimer: NodeJS.Timeout | undefined;
    // The drip starts once `first` is written, so it always comes after it on the wire.
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(options.first);
      const drip = options.drip;
      if (drip === undefined) return;
      dripTimer = setInterval(() => {
        if (socket.destroyed || drips >= drip.max) return;
        socket.write(drip.text);
        drips += 1;
      }, drip.everyMs);
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    const giveUp = setTimeout(() => {
      cutByClient = true;
      socket.destroy();
    }, options.giveUpMs ?? 20_000);
    socket.on('close', () => {
      clearInterval(dripTimer);
      clearTimeout(giveUp);
      resolve({ text, drips, cutByClient });
    });
  });
}

/** Opens a connection and resolves once it is established; the caller destroys it. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

/** The status codes of every status line in `text` (more than one means a corrupted answer). */
export function statusLines(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
