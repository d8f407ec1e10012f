import type { ServiceSpec } from '../policies/types.js';
import { MAX_TOKEN_FILE_BYTES, readLimitedAsync } from './token-file.js';

/**
 * The bearer token for a service: inline, or read from its file at each use so a rotated
 * Secret takes effect without a restart. Undefined when none is configured.
 */
export async function serviceToken(spec: ServiceSpec): Promise<string | undefined> {
  if (spec.token !== undefined) return spec.token;
  if (spec.tokenFile === undefined) return undefined;
  return readTokenFile(spec.tokenFile);
}

/**
 * A token file's content, trimmed (a Secret mounted as a file ends with a newline), read as
 * token-file.ts reads: at most {@link MAX_TOKEN_FILE_BYTES}, a regular file only; an error names
 * the file, never its content.
 */
export async function readTokenFile(path: string): Promise<string> {
  const bytes = await readLimitedAsync(path, MAX_TOKEN_FILE_BYTES + 1);
  if (bytes.length > MAX_TOKEN_FILE_BYTES) {
    throw new Error(`${path} is larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
  }
  return bytes.toString('utf8').trim();
}

/** The token files a configuration reads, each with the setting that names it, for a mode check. */
export function serviceTokenFiles(
  services: ReadonlyArray<Pick<ServiceSpec, 'tokenFile' | 'load'>>,
): Array<{ path: string; what: string }> {
  return services.flatMap((s, i) => {
    const files: Array<{ path: string; what: string }> = [];
    if (s.tokenFile !== undefined) files.push({ path: s.tokenFile, what: `services[${i}].tokenFile` });
    const prom = s.load?.prometheus.tokenFile;
    if (prom !== undefined) files.push({ path: prom, what: `services[${i}].load.prometheus.tokenFile` });
    return files;
  });
}
