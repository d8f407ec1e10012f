/** A plain node:http server on 127.0.0.1 port 0, for the tests that write every answer. */
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';

export interface LoopbackServer {
  readonly server: Server;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Drops every connection (hanging requests too) and stops listening. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 at a free port; resolves to its base URL. */
export async function listenLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export async function serveLoopback(handler: RequestListener): Promise<LoopbackServer> {
  const server = createServer(handler);
  const url = await listenLoopback(server);
  return { server, url, close: () => closeServer(server) };
}

/**
 * Serves `handler` for the enclosing suite (its before and after hooks); `url` is the base URL
 * once the suite's tests run.
 */
export function serveDuringSuite(handler: RequestListener): { readonly url: string } {
  const served = { url: '' };
  let server: LoopbackServer | undefined;
  before(async () => {
    server = await serveLoopback(handler);
    served.url = server.url;
  });
  after(() => server?.close());
  return served;
}
