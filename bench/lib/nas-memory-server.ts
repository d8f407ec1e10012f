/**
 * The ceiling of the NAS throughput benchmark: a bare node:http server that answers a GET of any
 * file of a tree with its bytes, read into memory at start, and the headers the NAS service sends
 * (type, length, ranges, validators). No file-system call, no pool, no agent: what serving the
 * same responses costs on this machine under the same client, and so the most any pooling could
 * win.
 */
import { createServer } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A running ceiling server. */
export interface MemoryServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Reads every regular file under `root` (request path `/a/b`) into a map. */
function load(root: string, prefix = '', into = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) load(root, rel, into);
    else if (entry.isFile()) into.set(rel, readFileSync(join(root, rel)));
  }
  return into;
}

/** Serves the files under `root` from memory on 127.0.0.1 (a free port). */
export async function startMemoryServer(root: string): Promise<MemoryServer> {
  const files = load(root);
  const lastModified = new Date().toUTCString();
  const server = createServer((req, res) => {
    const body = req.method === 'GET' ? files.get(req.url ?? '') : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'content-length': 0 });
      res.end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      'accept-ranges': 'bytes',
      etag: `"${body.length.toString(16)}-${req.url?.length.toString(16) ?? ''}"`,
      'last-modified': lastModified,
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
