import { createHmac } from 'node:crypto';
import { TEST_JWT_SECRET } from './app.js';

/**
 * Hand-made JWTs for the token verification tests: built with node:crypto, not
 * with the library under test, so that a forged or malformed token is exactly
 * what the test says it is.
 */

export const TEST_ISSUER = 'hetao-clearance';
export const TEST_AUDIENCE = 'hetao-clearance-api';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export interface SignOptions {
  /** HMAC key; defaults to the test app's secret. */
  secret?: string;
  /** The `alg` written into the header. */
  alg?: string;
  /**
   * The HMAC hash actually used for the signature (`sha256`, `sha384`, `sha512`),
   * or `none` for an empty signature. Defaults to what `alg` names (HS256 → sha256;
   * anything not HS* → sha256, which is how an algorithm-confusion forgery is made).
   */
  hash?: 'sha256' | 'sha384' | 'sha512' | 'none';
  /** Extra header fields. */
  header?: Record<string, unknown>;
}

export function signJwt(payload: Record<string, unknown>, opts: SignOptions = {}): string {
  const alg = opts.alg ?? 'HS256';
  const header = { alg, typ: 'JWT', ...(opts.header ?? {}) };
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const hash =
    opts.hash ?? (alg === 'none' ? 'none' : alg === 'HS384' ? 'sha384' : alg === 'HS512' ? 'sha512' : 'sha256');
  if (hash === 'none') return `${signingInput}.`;
  const signature = createHmac(hash, opts.secret ?? TEST_JWT_SECRET).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  if (h === undefined || p === undefined) throw new Error(`not a JWT: ${token}`);
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

/** Claims of a valid token for an existing account, good for another `ttl` seconds. */
export function validClaims(
  principal: { sub: string; kind?: 'user' | 'client'; role: string; [k: string]: unknown },
  ttl = 600,
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { kind: 'user', ...principal, iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + ttl };
}
