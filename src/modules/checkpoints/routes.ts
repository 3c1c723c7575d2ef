import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModuleOptions } from '../../deps.js';
import { standardProblems } from '../../http/common.js';
import { idempotent } from '../../http/idempotency.js';
import { pageOf, pageQuery } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';

const checkpointSchema = z
  .object({
    code: z.string(),
    name: z.string().describe('English name'),
    nameZh: z.string().describe('Chinese name'),
    hetaoLane: z.boolean().describe('Has a Hetao dedicated lane or channel'),
    active: z.boolean(),
  })
  .meta({ id: 'Checkpoint' });

const createCheckpointBody = z.strictObject({
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{1,15}$/, 'must be 2–16 upper-case letters, digits or underscores, starting with a letter')
    .meta({ maxLength: 16 }),
  name: z.string().trim().min(1).max(200),
  nameZh: z.string().trim().min(1).max(200),
  hetaoLane: z.boolean().default(false),
});

export const checkpointRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps, services }) => {
  const { db } = deps.database;
  const checkpoints = services.checkpoints;

  app.get(
    '/v1/checkpoints',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin', 'researcher', 'auditor'] },
      schema: {
        tags: ['checkpoints'],
        summary: 'List the control points',
        querystring: z.object(pageQuery),
        response: { 200: pageOf(checkpointSchema), ...standardProblems },
      },
    },
    async (request) => checkpoints.list(request.query),
  );

  app.post(
    '/v1/checkpoints',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['checkpoints'],
        summary: 'Add a control point',
        body: createCheckpointBody,
        response: { 201: checkpointSchema, ...standardProblems, 409: problemSchema },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async (tx) => {
        const created = await checkpoints.create(tx, request.user, request.body);
        return { status: 201, body: created, headers: { location: `/v1/checkpoints/${created.code}` } };
      }),
  );
};
