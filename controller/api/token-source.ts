/**
 * Where the API token comes from: `POOLPILOT_API_TOKEN` (the token itself) or
 * `POOLPILOT_API_TOKEN_FILE` (a file holding it, such as a mounted secret). No error message ever
 * contains the token or the file's content.
 */
import { MAX_TOKEN_FILE_BYTES, TOKEN_FILE_NOT_REGULAR, readLimited } from '../token-file.js';

export { MAX_TOKEN_FILE_BYTES, readLimited } from '../token-file.js';

/** The variables read; the caller merges flags of the same name over the environment first. */
export const API_TOKEN_ENV = 'POOLPILOT_API_TOKEN';
export const API_TOKEN_FILE_ENV = 'POOLPILOT_API_TOKEN_FILE';

/** `{}` when no token is configured, `{ token }` when one is, `{ error }` when the setting is wrong. */
export type ApiTokenResult = { readonly token?: string } | { readonly error: string };

/** Reads at most `limit` bytes of a file; injected by tests. */
export type ReadLimited = (path: string, limit: number) => Buffer;

/**
 * Resolves the API token from the (already merged) environment.
 *
 * - Neither variable set: no token (mutations are then served on loopback only).
 * - `POOLPILOT_API_TOKEN`: the value, trimmed.
 * - `POOLPILOT_API_TOKEN_FILE`: the file's content, trimmed (a trailing newline is fine).
 * - Both set: an error. Two sources that may disagree would let one silently win and lock out
 *   the clients that use the other, so the operator is asked to keep one.
 * - Set but empty (or blank), an empty or unreadable file, a FIFO or a device (never read: a
 *   FIFO would block the start), a token with inner whitespace or
 *   characters outside visible ASCII (it could not travel in an `Authorization` header): an error,
 *   never a silent fallback to "no token".
 */
export function resolveApiToken(
  env: Readonly<Record<string, string | undefined>>,
  read: ReadLimited = readLimited,
): ApiTokenResult {
  const direct = env[API_TOKEN_ENV];
  const file = env[API_TOKEN_FILE_ENV];
  if (direct !== undefined && file !== undefined) {
    return { error: `${API_TOKEN_ENV} and ${API_TOKEN_FILE_ENV} are both set; set only one of them` };
  }
  if (direct !== undefined) return checked(direct.trim(), API_TOKEN_ENV);
  if (file === undefined) return {};
  if (file.trim() === '')
    return { error: `${API_TOKEN_FILE_ENV} is set but empty; give the path of a token file` };
  let bytes: Buffer;
  try {
    bytes = read(file, MAX_TOKEN_FILE_BYTES + 1);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === TOKEN_FILE_NOT_REGULAR ? 'not a regular file' : (code ?? (err as Error).message);
    return { error: `${API_TOKEN_FILE_ENV}: cannot read ${file}: ${reason}` };
  }
  if (bytes.length > MAX_TOKEN_FILE_BYTES) {
    return { error: `${API_TOKEN_FILE_ENV}: ${file} is larger than ${MAX_TOKEN_FILE_BYTES} bytes` };
  }
  return checked(bytes.toString('utf8').trim(), `${API_TOKEN_FILE_ENV} (${file})`);
}

function checked(token: string, where: string): ApiTokenResult {
  if (token === '') return { error: `${where} is empty; a token is required when it is set` };
  if (!/^[\x21-\x7e]+$/.test(token)) {
    return {
      error: `${where} holds whitespace or characters outside visible ASCII; the token must be one word`,
    };
  }
  return { token };
}
