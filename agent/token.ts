import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Returns the token of an `Authorization: Bearer <token>` header, or undefined when the header is
 * missing, repeated or of another scheme. The scheme is matched without regard to case (RFC 7235).
 */
export function parseBearer(header: string | readonly string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return match?.[1];
}

/**
 * A configured bearer token. It keeps only the token's SHA-256 digest and compares digests with
 * `timingSafeEqual`, so neither the content nor the length of the token leaks through timing, and
 * printing, inspecting or serializing it never shows the token.
 */
export class BearerToken {
  readonly #digest: Buffer;

  /** Throws a TypeError for an empty token (which would let anyone in with `Bearer `). */
  constructor(token: string) {
    if (typeof token !== 'string' || token.length === 0) {
      throw new TypeError('the token must be a non-empty string');
    }
    this.#digest = digest(token);
  }

  /** True when `presented` is the configured token; undefined never matches. */
  matches(presented: string | undefined): boolean {
    if (presented === undefined) return false;
    return timingSafeEqual(digest(presented), this.#digest);
  }

  /** True when the `Authorization` header carries the configured bearer token. */
  authorizes(header: string | readonly string[] | undefined): boolean {
    return this.matches(parseBearer(header));
  }

  toString(): string {
    return 'BearerToken([redacted])';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
