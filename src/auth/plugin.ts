import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Role } from '../db/schema.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { Principal } from './principal.js';
import { apiClientLive, userStatus } from './queries.js';

/** How far ahead of this clock a token's `iat` may be (another instance's clock may run a little fast). */
const MAX_CLOCK_SKEW_MS = 60_000;

/** What a route declares about who may call it. Every route must say. */
export type RouteAuth = 'public' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyInstance {
    /** Signs a short-lived access token for a principal. */
    issueToken(principal: Principal): { token: string; expiresIn: number };
  }
}

export interface AuthOptions {
  config: Config;
  db: Db;
  /** How long an account's active state is trusted before it is read again. */
  accountCacheMs?: number;
}

/**
 * Remembers for a moment whether an account is still active, so that a disabled
 * account or revoked client stops working within `ttl` without a database round
 * trip on every request.
 */
class AccountStatusCache {
  private entries = new Map<string, { active: boolean; until: number }>();
  constructor(
    private readonly db: Db,
    private readonly ttl: number,
  ) {}

  async isActive(p: Principal): Promise<boolean> {
    // The role is part of the key: a token claiming another role than the account's is checked afresh.
    const key = `${p.kind}:${p.sub}:${p.role}`;
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.active;
    let active: boolean;
    if (p.kind === 'user') {
      const row = await userStatus(this.db, p.sub);
      active = row !== undefined && row.status === 'active' && row.role === p.role;
    } else {
      active = await apiClientLive(this.db, p.sub);
    }
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(key, { active, until: now + this.ttl });
    return active;
  }

  forget(kind: Principal['kind'], sub: string): void {
    const prefix = `${kind}:${sub}:`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}

async function authPlugin(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  const { jwt } = opts.config;
  await app.register(fastifyJwt, {
    secret: jwt.secret,
    sign: { algorithm: 'HS256', iss: jwt.issuer, aud: jwt.audience, expiresIn: jwt.ttlSeconds },
    // Pinned algorithm; a token without iss, aud, exp or sub is refused, not waved through.
    verify: {
      algorithms: ['HS256'],
      allowedIss: jwt.issuer,
      allowedAud: jwt.audience,
      requiredClaims: ['iss', 'aud', 'exp', 'sub'],
    },
  });

  const accounts = new AccountStatusCache(opts.db, opts.accountCacheMs ?? 2000);
  app.decorate('accountStatus', accounts);

  app.decorate('issueToken', (principal: Principal) => {
    const claims: Record<string, unknown> = { sub: principal.sub, kind: principal.kind, role: principal.role };
    if (principal.username) claims.username = principal.username;
    if (principal.institutionId) claims.institutionId = principal.institutionId;
    if (principal.researcherId) claims.researcherId = principal.researcherId;
    if (principal.checkpoint) claims.checkpoint = principal.checkpoint;
    return { token: app.jwt.sign(claims as unknown as Principal), expiresIn: jwt.ttlSeconds };
  });

  const verifiedTokens = new Map<string, { claims: Principal; expiresAtMs: number }>();

  async function authenticate(request: FastifyRequest, roles: readonly Role[]): Promise<void> {
    const header = request.headers.authorization;
    if (!header || !/^Bearer\s+\S+$/i.test(header)) {
      throw new UnauthorizedError('A Bearer token is required in the Authorization header');
    }
    // A desk presents the same token for every lookup: the claims of a token verified
    // once are kept (keyed by the whole token) until it expires. Otherwise this throws
    // FST_JWT_* errors (bad signature, expired, wrong alg / iss / aud): mapped to 401.
    const token = header.slice(7).trim();
    const known = verifiedTokens.get(token);
    let claims: Principal;
    if (known && known.expiresAtMs > Date.now()) {
      claims = known.claims;
      request.user = claims;
    } else {
      claims = await request.jwtVerify<Principal>();
      // A token dated in the future was not issued by this clock: refused beyond a minute of skew.
      const iat = (claims as unknown as { iat?: unknown }).iat;
      if (typeof iat === 'number' && iat * 1000 > Date.now() + MAX_CLOCK_SKEW_MS) {
        throw new UnauthorizedError('The token was issued in the future');
      }
      const exp = (claims as unknown as { exp?: unknown }).exp;
      if (typeof exp === 'number') {
        if (verifiedTokens.size >= 10_000) verifiedTokens.clear();
        verifiedTokens.set(token, { claims, expiresAtMs: exp * 1000 });
      }
    }
    if (
      typeof claims.sub !== 'string' ||
      (claims.kind !== 'user' && claims.kind !== 'client') ||
      typeof claims.role !== 'string'
    ) {
      throw new UnauthorizedError('The token does not carry a principal');
    }
    if (!(await accounts.isActive(claims))) {
      throw new UnauthorizedError('The account behind this token is disabled or no longer exists');
    }
    if (!roles.includes(claims.role)) {
      throw new ForbiddenError(`The ${claims.role} role cannot do this`);
    }
  }

  // Secure by default: a route that does not declare its auth cannot be registered.
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    const url = route.url;
    const exempt = url.startsWith('/docs') || url.startsWith('/health') || route.method === 'HEAD';
    if (auth === undefined) {
      if (exempt) return;
      throw new Error(`Route ${String(route.method)} ${url} does not declare config.auth`);
    }
    if (auth === 'public') return;
    const roles = auth;
    const guard = async (request: FastifyRequest, _reply: FastifyReply) => authenticate(request, roles);
    // onRequest: before the body is even parsed, so nothing is validated for a stranger.
    const existing = route.onRequest;
    route.onRequest = existing === undefined ? [guard] : [guard, ...(Array.isArray(existing) ? existing : [existing])];
  });
}

export const authentication = fp(authPlugin, { name: 'authentication' });

declare module 'fastify' {
  interface FastifyInstance {
    accountStatus: AccountStatusCache;
  }
}
