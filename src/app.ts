import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { authentication } from './auth/plugin.js';
import type { AppDeps, ModuleOptions } from './deps.js';
import { errorHandler } from './http/error-handler.js';
import { loggerOptions } from './logging.js';
import { auditRoutes } from './modules/audit/routes.js';
import { authRoutes } from './modules/auth/routes.js';
import { checkpointRoutes } from './modules/checkpoints/routes.js';
import { healthRoutes } from './modules/health/routes.js';
import { userRoutes } from './modules/users/routes.js';

export interface BuildOptions {
  /** Fastify logger: pino options, `false` for silence (tests), or omitted for the config's level. */
  logger?: FastifyServerOptions['logger'];
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,100}$/;

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
    requestTimeout: 30_000,
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: 200 },
    ajv: undefined,
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Every answer says which request it was, and carries the usual security headers.
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (!request.url.startsWith('/docs')) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    }
    return payload;
  });

  await app.register(errorHandler);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hetao clearance API',
        description:
          'The customs whitelist and clearance decisions for the Hetao Shenzhen–Hong Kong science and technology zone (河套深港科技创新合作区).',
        version: '1.0.0',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await app.register(authentication, { config, db: full.database.db });

  const moduleOptions: ModuleOptions = { deps: full };
  await app.register(healthRoutes, moduleOptions);
  await app.register(authRoutes, moduleOptions);
  await app.register(userRoutes, moduleOptions);
  await app.register(checkpointRoutes, moduleOptions);
  await app.register(auditRoutes, moduleOptions);

  await app.ready();
  return app;
}
