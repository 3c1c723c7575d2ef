import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModuleOptions } from '../../deps.js';
import { ServiceUnavailableError } from '../../errors.js';
import { problemSchema } from '../../http/problem.js';

const PING_TIMEOUT_MS = 1500;

export const healthRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps }) => {
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
    async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          deps.database.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('ping timeout')), PING_TIMEOUT_MS);
          }),
        ]);
      } catch {
        throw new ServiceUnavailableError('The database does not answer');
      } finally {
        clearTimeout(timer);
      }
      return { status: 'ready' as const, database: deps.database.kind };
    },
  );
};
