/** A client that goes away mid-response, as a user cancelling a download does. */
import { request as httpRequest } from 'node:http';

/** Starts a GET of `path` on `url` and cuts the connection after the first bytes (or at the end). */
export function abortMidway(url: string, path: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const req = httpRequest({ host: hostname, port, path, agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
      res.once('end', () => resolve());
    });
    req.on('error', () => resolve());
    req.end();
  });
}
