import type { ServiceSpec } from '../policies/types.js';
import { MAX_TOKEN_FILE_BYTES, readLimitedAsync } from './token-file.js';

/**
 * The bearer token for a service: inline, or read from its file at each use so a rotated
 * Secret takes effect without a restart. Undefined when none is configured. The file is read
 * as token-file.ts reads: at most {@link MAX_TOKEN_FILE_BYTES}, a regular file only; an error
 * names the file, never its content.
 */
export async function serviceToken(spec: ServiceSpec): Promise<string | undefined> {
  if (spec.token !== undefined) return spec.token;
  if (spec.tokenFile === undefined) return undefined;
  const bytes = await readLimitedAsync(spec.tokenFile, MAX_TOKEN_FILE_BYTES + 1);
  if (bytes.length > MAX_TOKEN_FILE_BYTES) {
    throw new Error(`${spec.tokenFile} is larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
  }
  return bytes.toString('utf8').trim();
}

/** The token files a configuration reads, each with the setting that names it, for a mode check. */
export function serviceTokenFiles(
  services: ReadonlyArray<Pick<ServiceSpec, 'tokenFile'>>,
): Array<{ path: string; what: string }> {
  return services.flatMap((s, i) =>
    s.tokenFile === undefined ? [] : [{ path: s.tokenFile, what: `services[${i}].tokenFile` }],
  );
}
