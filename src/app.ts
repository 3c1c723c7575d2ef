import { createHmac, randomUUID } from 'node:crypto';
import fastifyCors from '@fastify/cors';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { authentication } from './auth/plugin.js';
import type { AppDeps, ModuleOptions } from './deps.js';
import { clientErrorHandler, lingerAfterEarlyAnswer, registerJsonParser, serverTimeouts } from './http/edges.js';
import { errorHandler, sendProblem } from './http/error-handler.js';
import { findBadText } from './http/text-guard.js';
import { documentStandardResponses, swaggerOptions } from './http/openapi.js';
import { ValidationError } from './errors.js';
import { RateLimiter } from './http/rate-limit.js';
import { serverTimingHeader, startTiming } from './http/server-timing.js';
import { loggerOptions } from './logging.js';
import { auditRoutes } from './modules/audit/routes.js';
import { authRoutes } from './modules/auth/routes.js';
import { checkpointRoutes } from './modules/checkpoints/routes.js';
import { clearanceRoutes } from './modules/clearance/routes.js';
import { healthRoutes } from './modules/health/routes.js';
import { institutionRoutes } from './modules/institutions/routes.js';
import { reportRoutes } from './modules/reports/routes.js';
import { researcherRoutes } from './modules/researchers/routes.js';
import { itemRoutes } from './modules/items/routes.js';
import { userRoutes } from './modules/users/routes.js';
import { webRoutes } from './web/routes.js';
// After the route plugins: OpenAPI lists the schema components in the order their modules first load.
import { buildServices } from './services.js';

export interface BuildOptions {
  /** Fastify logger: pino options, `false` for silence (tests), or omitted for the config's level. */
  logger?: FastifyServerOptions['logger'];
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,100}$/;

/** The desk and the portal: pages whose scripts, styles and calls come from this origin only, no inline code. */
const WEB_PAGE_RE = /^\/(desk|portal)(\/|\?|$)/;
const WEB_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** What a listed browser origin may do (only when CORS_ORIGINS lists origins). */
export const CORS_METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'];
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match', 'X-Request-Id'];
/** Answer headers a browser script may read; lists paginate in the body (`nextCursor`), not in a header. */
export const CORS_EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'X-Request-Id', 'Idempotent-Replayed'];

/**
 * Builds the whole service, ready but not listening. Every plugin is registered
 * here explicitly, in order, so a reader sees the app in one file.
 */
export async function buildApp(deps: AppDeps, options: BuildOptions = {}): Promise<FastifyInstance> {
  const full: Required<AppDeps> = {
    now: () => new Date(),
    random: Math.random,
    ...deps,
  };
  const { config } = full;

  const app = Fastify({
    logger: options.logger ?? loggerOptions(config),
    bodyLimit: config.http.bodyLimit,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    trustProxy: false,
    return503OnClosing: true,
    connectionTimeout: 30_000,
    // A request (headers and body) not in by BODY_TIMEOUT_MS is cut with a 408. Node reads its
    // requestTimeout only when the server is made: Fastify's own option alone is set too late.
    requestTimeout: config.http.bodyTimeoutMs,
    http: serverTimeouts(config.http.bodyTimeoutMs),
    // Node's own errors (431, a malformed request line, CL with TE, the timeout) as problem+json.
    clientErrorHandler: clientErrorHandler(config.http.bodyTimeoutMs),
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: 200 },
    // Errors the router raises before any handler (bad percent-escapes, over-long parameters) are problems too.
    frameworkErrors: (err, request, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH' || /too long/i.test(err.message);
      sendProblem(request, reply, tooLong ? 414 : 400, 'BAD_REQUEST', tooLong ? 'URI too long' : 'Bad request',
        tooLong ? 'A path parameter is too long' : 'The request URL is malformed');
    },
  });

  // Server-Timing (off by default): the clock starts in the first hook of every request.
  if (config.http.serverTiming) {
    app.addHook('onRequest', async (request) => {
      startTiming(request);
    });
  }

  app.decorate('requestHashKey', createHmac('sha256', config.jwt.secret).update('hetao/idempotency-fingerprint').digest());
  // JSON routes take JSON; a text/plain body is refused as an unsupported media type.
  app.removeContentTypeParser('text/plain');
  // JSON nested deeper than MAX_JSON_DEPTH is a 422 before it is parsed.
  registerJsonParser(app);
  // An answer given before the body is in (413, 401…) lets the client finish sending, then closes.
  app.addHook('onSend', (request, _reply, payload, done) => {
    lingerAfterEarlyAnswer(request, config.http.bodyTimeoutMs);
    done(null, payload);
  });

  // Text that Postgres cannot store (NUL), that is not valid Unicode (unpaired surrogates) or that displays
  // otherwise than it is (bidi controls, other format characters) is a 422, never a 500. A CSV body may open
  // with a byte-order mark.
  app.addHook('preValidation', async (request) => {
    const body = typeof request.body === 'string' ? request.body.replace(/^\uFEFF/, '') : request.body;
    const bad = findBadText(body, '') ?? findBadText(request.query, 'query.') ?? findBadText(request.params, 'params.');
    if (bad) throw new ValidationError([{ path: bad.path || 'body', message: bad.message }]);
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Once close() has begun, an answer to a request still in flight tells the client
  // to drop the connection: otherwise the keep-alive socket stays open (up to
  // keepAliveTimeout) and the graceful shutdown waits for it.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  // Every answer says which request it was, and carries the usual security headers.
  app.addHook('onSend', async (request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (config.http.serverTiming) reply.header('server-timing', serverTimingHeader(request));
    if (!request.url.startsWith('/docs')) {
      // The web pages run their own scripts and styles (from 'self' only); everything else runs nothing.
      reply.header('content-security-policy', WEB_PAGE_RE.test(request.url) ? WEB_PAGE_CSP : "default-src 'none'; frame-ancestors 'none'");
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    }
    return payload;
  });

  await app.register(errorHandler);

  // CORS is closed by default: with no CORS_ORIGINS there is no CORS plugin, no
  // Access-Control-* header on any answer, and a preflight is an ordinary 404 problem.
  // With a list, exactly those origins (compared byte for byte) get a grant; any other
  // origin gets no CORS header and its preflight is the same 404. Registered before
  // the rate limit and authentication, so a browser can read their 429 and 401.
  if (config.http.corsOrigins.length > 0) {
    const allowed = new Set(config.http.corsOrigins);
    await app.register(fastifyCors, {
      origin: (origin: string | undefined, cb: (err: Error | null, allow: boolean) => void) =>
        cb(null, origin !== undefined && allowed.has(origin)),
      methods: CORS_METHODS,
      allowedHeaders: CORS_ALLOWED_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      // Bearer tokens, never cookies: a browser must not send credentials cross-origin.
      credentials: false,
      maxAge: 600,
      // An OPTIONS from a listed origin without Access-Control-Request-Method is answered
      // like a preflight rather than with the plugin's text/plain 400.
      strictPreflight: false,
    });
  }

  // A coarse per-address ceiling on every route; finer limits live on the token and lookup routes.
  if (config.rateLimits.perIpPerMinute > 0) {
    const perIp = new RateLimiter(config.rateLimits.perIpPerMinute, 60_000);
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith('/health')) return;
      perIp.check(request.ip);
    });
  }

  // Every documented route also documents the problems it can answer, its operationId and its security.
  app.addHook('onRoute', documentStandardResponses);
  await app.register(fastifySwagger, swaggerOptions());
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await app.register(authentication, { config, db: full.database.db });

  const services = buildServices(full);
  const { sealer } = services;
  // What an instance that stopped abruptly left in the journal is sealed once this one is up;
  // what is still there when this one stops, before it stops.
  app.addHook('onReady', async () => sealer.kick());
  app.addHook('onClose', async () => {
    await services.close();
    await sealer.close().catch((err: unknown) => app.log.warn({ err }, 'audit journal not sealed at shutdown; the next start seals it'));
  });
  const moduleOptions: ModuleOptions = { deps: full, services, sealer };
  await app.register(healthRoutes, moduleOptions);
  await app.register(authRoutes, moduleOptions);
  await app.register(userRoutes, moduleOptions);
  await app.register(checkpointRoutes, moduleOptions);
  await app.register(institutionRoutes, moduleOptions);
  await app.register(researcherRoutes, moduleOptions);
  await app.register(itemRoutes, moduleOptions);
  await app.register(clearanceRoutes, moduleOptions);
  await app.register(reportRoutes, moduleOptions);
  await app.register(auditRoutes, moduleOptions);
  await app.register(webRoutes);

  await app.ready();
  return app;
}
