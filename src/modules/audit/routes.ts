import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ModuleOptions } from '../../deps.js';
import { standardProblems } from '../../http/common.js';
import { pageOf } from '../../http/pagination.js';
import { auditEventSchema, auditListQuery, verifySchema } from './schemas.js';

export const auditRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { services }) => {
  const { audit } = services;

  app.get(
    '/v1/audit-events',
    {
      config: { auth: ['auditor', 'supervisor'] },
      schema: {
        tags: ['audit'],
        summary: 'The audit log, oldest first (or newest first with order=desc)',
        description: [
          'Filters: `action` (an unknown action is a 422 listing the known ones), `subject`, `actor` (the stored actor: a user id, `client:<id>`), `actorUsername` (a username, or an API client\'s client_id), `from` and `to`.',
          '`from` and `to` take an RFC 3339 time, or a date: a day at the border, UTC+8 (`from=2026-12-01` starts at 2026-11-30T16:00:00Z; `to=2026-12-01` includes all of that day).',
          'Each event carries `actorUsername` beside `actor`.',
        ].join('\n\n'),
        querystring: auditListQuery,
        response: { 200: pageOf(auditEventSchema), ...standardProblems },
      },
    },
    async (request) => audit.list(request.query),
  );

  app.get(
    '/v1/audit-events/verify',
    {
      config: { auth: ['auditor', 'supervisor'] },
      schema: {
        tags: ['audit'],
        summary: 'Recompute the hash chain; names the first bad sequence number',
        response: { 200: verifySchema, ...standardProblems },
      },
    },
    async () => audit.verify(),
  );
};
