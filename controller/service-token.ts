import { readFile } from 'node:fs/promises';
import type { ServiceSpec } from '../policies/types.js';

/**
 * The bearer token for a service: inline, or read from its file at each use so a rotated
 * Secret takes effect without a restart. Undefined when none is configured.
 */
export async function serviceToken(spec: ServiceSpec): Promise<string | undefined> {
  if (spec.token !== undefined) return spec.token;
  if (spec.tokenFile === undefined) return undefined;
  return readTokenFile(spec.tokenFile);
}

/** A token file's content, trimmed (a Secret mounted as a file ends with a newline). */
export async function readTokenFile(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  return text.trim();
}
