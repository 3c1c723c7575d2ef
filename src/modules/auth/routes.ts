import { and, eq, isNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appendAudit } from '../../audit/chain.js';
import { verifySecret } from '../../auth/passwords.js';
import type { Principal } from '../../auth/principal.js';
import { apiClients, institutions, users } from '../../db/schema.js';
import type { ModuleOptions } from '../../deps.js';
import { InvalidCredentialsError, TooManyRequestsError } from '../../errors.js';
import { problemSchema } from '../../http/problem.js';
import { principalOfUser } from '../users/queries.js';
import { RateLimiter } from '../../http/rate-limit.js';

const FIFTEEN_MINUTES = 15 * 60_000;

const tokenBody = z.discriminatedUnion('grant_type', [
  z.object({
    grant_type: z.literal('password'),
    username: z.string().min(1).max(200),
    password: z.string().min(1).max(1024),
  }),
  z.object({
    grant_type: z.literal('client_credentials'),
    client_id: z.string().min(1).max(200),
    client_secret: z.string().min(1).max(1024),
  }),
]);

const tokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Seconds until the token expires'),
  })
  .meta({ id: 'TokenResponse' });

export const authRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps }) => {
  const { db } = deps.database;
  const limits = deps.config.rateLimits;
  const perIp = limits.tokenPerIpPerMinute > 0 ? new RateLimiter(limits.tokenPerIpPerMinute, 60_000) : undefined;
  /** Addresses whose throttling is already in the audit log, until when. */
  const throttledAddresses = new Map<string, number>();

  // OAuth 2.0 clients post the token request as a form; accept that as well as JSON.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  // Failed attempts per username (or client id): after the limit, the name is locked
  // out until the window slides on, whatever the password; a success does not reset it.
  // Times come from deps.now() so that tests can move the window on.
  const nowMs = () => deps.now().getTime();
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
    const now = nowMs();
    return Math.max(1, Math.ceil(((list[0] ?? now) + FIFTEEN_MINUTES - now) / 1000));
  }
  function recordFailure(key: string): void {
    if (limits.tokenFailuresPerUsername <= 0) return;
    if (failures.size > 100_000) failures.clear();
    failures.set(key, [...recentFailures(key), nowMs()]);
  }
  /** True once per name and lock window: the first refused attempt is audited, the rest only logged. */
  function firstThrottleOfWindow(key: string, waitSeconds: number): boolean {
    const now = nowMs();
    if ((throttledNames.get(key) ?? 0) > now) return false;
    if (throttledNames.size > 10_000) throttledNames.clear();
    throttledNames.set(key, now + waitSeconds * 1000);
    return true;
  }

  app.post(
    '/v1/auth/token',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a username and password, or an API client id and secret, for a short-lived access token',
        security: [],
        body: tokenBody,
        response: { 200: tokenResponse, 400: problemSchema, 401: problemSchema, 422: problemSchema, 429: problemSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const wait = perIp?.hit(request.ip) ?? 0;
      if (wait > 0) {
        // Audited once per address and window, not once per request: a flood must not flood the chain.
        const now = Date.now();
        if ((throttledAddresses.get(request.ip) ?? 0) <= now) {
          if (throttledAddresses.size > 10_000) throttledAddresses.clear();
          throttledAddresses.set(request.ip, now + wait * 1000);
          await appendAudit(db, {
            actor: 'anonymous',
            role: 'anonymous',
            action: 'auth.token_throttled',
            subject: `ip:${request.ip}`,
            data: { grantType: body.grant_type, ip: request.ip, limit: 'address' },
          }, deps.now());
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
            data: { grantType: body.grant_type, ip: request.ip, limit: body.grant_type === 'password' ? 'username' : 'client_id' },
          }, deps.now());
        }
        throw new TooManyRequestsError(lockWait, 'Too many failed attempts for this account; wait and retry');
      }
      let principal: Principal | undefined;
      if (body.grant_type === 'password') {
        const username = body.username.trim().toLowerCase();
        const [user] = await db.select().from(users).where(eq(users.username, username)).limit(1);
        const ok = await verifySecret(user?.passwordHash, body.password);
        if (ok && user && user.status === 'active') {
          principal = principalOfUser(user);
        }
      } else {
        const [client] = await db
          .select({
            id: apiClients.id,
            secretHash: apiClients.secretHash,
            institutionId: apiClients.institutionId,
            clientId: apiClients.clientId,
            institutionStatus: institutions.status,
          })
          .from(apiClients)
          .innerJoin(institutions, eq(institutions.id, apiClients.institutionId))
          .where(and(eq(apiClients.clientId, body.client_id), isNull(apiClients.revokedAt)))
          .limit(1);
        const ok = await verifySecret(client?.secretHash, body.client_secret);
        // A suspended institution's systems stop working until it is reinstated.
        if (ok && client && client.institutionStatus === 'active') {
          principal = { sub: client.id, kind: 'client', role: 'institution_admin', institutionId: client.institutionId };
        }
      }

      const attempted = body.grant_type === 'password' ? { username: body.username.slice(0, 200) } : { clientId: body.client_id.slice(0, 200) };
      if (!principal) {
        await appendAudit(db, {
          actor: 'anonymous',
          role: 'anonymous',
          action: 'auth.token_denied',
          subject: body.grant_type === 'password' ? `username:${attempted.username}` : `client:${attempted.clientId}`,
          data: { grantType: body.grant_type, ...attempted, ip: request.ip },
        }, deps.now());
        recordFailure(nameKey);
        throw new InvalidCredentialsError();
      }
      await appendAudit(db, {
        actor: principal.kind === 'client' ? `client:${principal.sub}` : principal.sub,
        role: principal.role,
        action: 'auth.token_issued',
        subject: principal.kind === 'client' ? `api_client:${principal.sub}` : `user:${principal.sub}`,
        data: { grantType: body.grant_type, ip: request.ip },
      }, deps.now());
      const { token, expiresIn } = app.issueToken(principal);
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return { access_token: token, token_type: 'Bearer' as const, expires_in: expiresIn };
    },
  );
};
