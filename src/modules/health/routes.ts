import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModuleOptions } from '../../deps.js';
import { problemSchema } from '../../http/problem.js';

/** Where a newcomer who opens the bare address goes next; the web pages once they exist. */
const ROOT_LINKS = { docs: '/docs', openapi: '/docs/json', ready: '/health/ready' } as const;
const OPTIONAL_PAGES = { desk: '/desk/', portal: '/portal/' } as const;

const rootSchema = z
  .object({
    service: z.literal('hetao-clearance'),
    message: z.string(),
    links: z.object({
      docs: z.literal(ROOT_LINKS.docs).describe('Swagger UI: the API reference'),
      openapi: z.literal(ROOT_LINKS.openapi).describe('The OpenAPI 3.1 document'),
      ready: z.literal(ROOT_LINKS.ready).describe('Readiness: the database answers'),
      desk: z.literal(OPTIONAL_PAGES.desk).optional().describe("The officers' desk, when this build serves it"),
      portal: z.literal(OPTIONAL_PAGES.portal).optional().describe("The institutions' portal, when this build serves it"),
    }),
  })
  .describe('Where to go from here');

export const healthRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { services }) => {
  const { health } = services;

  app.get(
    '/',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['health'],
        operationId: 'getRoot',
        summary: 'Where to start: the API reference, the OpenAPI document, readiness',
        security: [],
        response: { 200: rootSchema },
      },
    },
    async () => {
      // Pages are linked only when a route serves them, so the answer never points nowhere.
      const pages = Object.fromEntries(
        Object.entries(OPTIONAL_PAGES).filter(([, url]) => app.hasRoute({ method: 'GET', url })),
      ) as Partial<typeof OPTIONAL_PAGES>;
      return {
        service: 'hetao-clearance' as const,
        message: 'Hetao clearance API. The reference is at /docs; every route but these needs a Bearer token from POST /v1/auth/token.',
        links: { ...ROOT_LINKS, ...pages },
      };
    },
  );

  app.get(
    '/health/live',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process answers',
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database answers',
        security: [],
        response: { 200: z.object({ status: z.literal('ready'), database: z.enum(['postgres', 'pglite']) }), 503: problemSchema },
      },
    },
    async () => health.ready(),
  );
};
