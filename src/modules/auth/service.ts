import { appendAudit } from '../../audit/chain.js';
import { verifySecret } from '../../auth/passwords.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import type { Principal } from '../../domain/scope.js';
import { InvalidCredentialsError, TooManyRequestsError } from '../../errors.js';
import { RateLimiter } from '../../http/rate-limit.js';
import { principalOfUser } from '../users/queries.js';
import { liveApiClient, userByUsername } from './queries.js';
import type { TokenBody } from './schemas.js';

const FIFTEEN_MINUTES = 15 * 60_000;

export interface AuthServiceDeps {
  db: Db;
  now: () => Date;
  config: Pick<Config, 'rateLimits'>;
}

/**
 * The token grants: who a username and password, or a client id and secret, stand for;
 * with the per-address limit and the per-name lockout, each refusal audited.
 */
export function authService({ db, now, config }: AuthServiceDeps) {
  const limits = config.rateLimits;
  const perIp = limits.tokenPerIpPerMinute > 0 ? new RateLimiter(limits.tokenPerIpPerMinute, 60_000) : undefined;
  /** Addresses whose throttling is already in the audit log, until when. */
  const throttledAddresses = new Map<string, number>();

  // Failed attempts per username (or client id): after the limit, the name is locked
  // out until the window slides on, whatever the password; a success does not reset it.
  // Times come from now() so that tests can move the window on.
  const nowMs = () => now().getTime();
  const failures = new Map<string, number[]>();
  /** Locked names whose throttling is already in the audit log, until when. */
  const throttledNames = new Map<string, number>();
  function recentFailures(key: string): number[] {
    const cutoff = nowMs() - FIFTEEN_MINUTES;
    const list = (failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  }
  function isLockedOut(key: string): boolean {
    return limits.tokenFailuresPerUsername > 0 && recentFailures(key).length >= limits.tokenFailuresPerUsername;
  }
  function lockoutWait(key: string): number {
    const list = recentFailures(key);
    const at = nowMs();
    return Math.max(1, Math.ceil(((list[0] ?? at) + FIFTEEN_MINUTES - at) / 1000));
  }
  function recordFailure(key: string): void {
    if (limits.tokenFailuresPerUsername <= 0) return;
    if (failures.size > 100_000) failures.clear();
    failures.set(key, [...recentFailures(key), nowMs()]);
  }
  /** True once per name and lock window: the first refused attempt is audited, the rest only logged. */
  function firstThrottleOfWindow(key: string, waitSeconds: number): boolean {
    const at = nowMs();
    if ((throttledNames.get(key) ?? 0) > at) return false;
    if (throttledNames.size > 10_000) throttledNames.clear();
    throttledNames.set(key, at + waitSeconds * 1000);
    return true;
  }

  async function grantOf(body: TokenBody): Promise<Principal | undefined> {
    if (body.grant_type === 'password') {
      const user = await userByUsername(db, body.username.trim().toLowerCase());
      const ok = await verifySecret(user?.passwordHash, body.password);
      return ok && user && user.status === 'active' ? principalOfUser(user) : undefined;
    }
    const client = await liveApiClient(db, body.client_id);
    const ok = await verifySecret(client?.secretHash, body.client_secret);
    // A suspended institution's systems stop working until it is reinstated.
    if (ok && client && client.institutionStatus === 'active') {
      return { sub: client.id, kind: 'client', role: 'institution_admin', institutionId: client.institutionId };
    }
    return undefined;
  }

  return {
    /** The principal the credentials stand for; a 429 when throttled, a 401 when they are not valid. */
    async grant(body: TokenBody, ip: string): Promise<Principal> {
      const wait = perIp?.hit(ip) ?? 0;
      if (wait > 0) {
        // Audited once per address and window, not once per request: a flood must not flood the chain.
        const at = Date.now();
        if ((throttledAddresses.get(ip) ?? 0) <= at) {
          if (throttledAddresses.size > 10_000) throttledAddresses.clear();
          throttledAddresses.set(ip, at + wait * 1000);
          await appendAudit(db, {
            actor: 'anonymous',
            role: 'anonymous',
            action: 'auth.token_throttled',
            subject: `ip:${ip}`,
            data: { grantType: body.grant_type, ip, limit: 'address' },
          }, now());
        }
        throw new TooManyRequestsError(wait, 'Too many token requests from this address; wait and retry');
      }
      const nameKey = body.grant_type === 'password' ? `u:${body.username.trim().toLowerCase()}` : `c:${body.client_id}`;
      if (isLockedOut(nameKey)) {
        const lockWait = lockoutWait(nameKey);
        // Audited once per name and lock window, not once per attempt: an attacker hammering
        // a locked name must not flood the chain. Every attempt is still a 429 (and a log line).
        if (firstThrottleOfWindow(nameKey, lockWait)) {
          await appendAudit(db, {
            actor: 'anonymous',
            role: 'anonymous',
            action: 'auth.token_throttled',
            subject: body.grant_type === 'password' ? `username:${nameKey.slice(2)}` : `client:${nameKey.slice(2)}`,
            data: { grantType: body.grant_type, ip, limit: body.grant_type === 'password' ? 'username' : 'client_id' },
          }, now());
        }
        throw new TooManyRequestsError(lockWait, 'Too many failed attempts for this account; wait and retry');
      }
      const principal = await grantOf(body);

      const attempted = body.grant_type === 'password' ? { username: body.username.slice(0, 200) } : { clientId: body.client_id.slice(0, 200) };
      if (!principal) {
        await appendAudit(db, {
          actor: 'anonymous',
          role: 'anonymous',
          action: 'auth.token_denied',
          subject: body.grant_type === 'password' ? `username:${attempted.username}` : `client:${attempted.clientId}`,
          data: { grantType: body.grant_type, ...attempted, ip },
        }, now());
        recordFailure(nameKey);
        throw new InvalidCredentialsError();
      }
      await appendAudit(db, {
        actor: principal.kind === 'client' ? `client:${principal.sub}` : principal.sub,
        role: principal.role,
        action: 'auth.token_issued',
        subject: principal.kind === 'client' ? `api_client:${principal.sub}` : `user:${principal.sub}`,
        data: { grantType: body.grant_type, ip },
      }, now());
      return principal;
    },
  };
}

export type AuthService = ReturnType<typeof authService>;
