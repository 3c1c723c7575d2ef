import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ModuleOptions } from '../../deps.js';
import { standardProblems } from '../../http/common.js';
import { pageOf } from '../../http/pagination.js';
import { overdueQuery, overdueSchema, statsQuery, statsSchema } from './schemas.js';

export const reportRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { services }) => {
  const { reports } = services;

  app.get(
    '/v1/reports/overdue-returns',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['reports'],
        summary: 'Equipment away from its home side past its return deadline, most overdue first',
        querystring: overdueQuery,
        response: { 200: pageOf(overdueSchema), ...standardProblems },
      },
    },
    async (request) => reports.overdueReturns(request.user, request.query),
  );

  app.get(
    '/v1/reports/checkpoint-stats',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['reports'],
        summary: 'Crossings and flags per checkpoint and direction, and flags by reason',
        querystring: statsQuery,
        response: {
          200: statsSchema,
          ...standardProblems,
        },
      },
    },
    async (request) => reports.checkpointStats(request.query),
  );
};
