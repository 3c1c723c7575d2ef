import { asc, eq, gt } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appendAudit } from '../../audit/chain.js';
import { actorOf } from '../../auth/principal.js';
import { checkpoints } from '../../db/schema.js';
import type { ModuleOptions } from '../../deps.js';
import { ConflictError } from '../../errors.js';
import { standardProblems } from '../../http/common.js';
import { idempotent } from '../../http/idempotency.js';
import { decodeCursor, isString, pageOf, pageQuery, paginate } from '../../http/pagination.js';
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

type Row = typeof checkpoints.$inferSelect;
const present = (r: Row) => ({ code: r.code, name: r.nameEn, nameZh: r.nameZh, hetaoLane: r.hetaoLane, active: r.active });

export const checkpointRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps }) => {
  const { db } = deps.database;

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
    async (request) => {
      const { limit, cursor } = request.query;
      const after = decodeCursor(cursor, isString);
      const rows = await deps.database.readDb
        .select()
        .from(checkpoints)
        .where(after === undefined ? undefined : gt(checkpoints.code, after))
        .orderBy(asc(checkpoints.code))
        .limit(limit + 1);
      const page = paginate(rows, limit, (r) => r.code);
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    },
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
        const body = request.body;
        const [existing] = await tx.select().from(checkpoints).where(eq(checkpoints.code, body.code)).limit(1);
        if (existing) throw new ConflictError(`Checkpoint ${body.code} already exists`, 'CHECKPOINT_EXISTS');
        const [row] = await tx
          .insert(checkpoints)
          .values({ code: body.code, nameEn: body.name, nameZh: body.nameZh, hetaoLane: body.hetaoLane })
          .returning();
        const created = present(row!);
        await appendAudit(tx, {
          actor: actorOf(request.user),
          role: request.user.role,
          action: 'checkpoint.create',
          subject: `checkpoint:${body.code}`,
          data: { after: created },
        }, deps.now());
        return { status: 201, body: created, headers: { location: `/v1/checkpoints/${body.code}` } };
      }),
  );
};
