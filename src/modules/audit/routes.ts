import { and, asc, eq, gt, gte, lt } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { verifyChain } from '../../audit/chain.js';
import { auditEvents } from '../../db/schema.js';
import type { ModuleOptions } from '../../deps.js';
import { standardProblems, timestamp, timestampQuery } from '../../http/common.js';
import { decodeCursor, isNumber, pageOf, pageQuery, paginate } from '../../http/pagination.js';

const auditEventSchema = z
  .object({
    seq: z.number().int(),
    at: timestamp,
    actor: z.string(),
    role: z.string(),
    action: z.string(),
    subject: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

const verifySchema = z
  .object({
    ok: z.boolean(),
    count: z.number().int(),
    headHash: z.string(),
    firstBadSeq: z.number().int().nullable(),
    problem: z.string().optional(),
  })
  .meta({ id: 'AuditVerification' });

export const auditRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps, sealer }) => {
  const { db } = deps.database;

  app.get(
    '/v1/audit-events',
    {
      config: { auth: ['auditor', 'supervisor'] },
      schema: {
        tags: ['audit'],
        summary: 'The audit log, oldest first',
        querystring: z.object({
          ...pageQuery,
          action: z.string().max(100).optional(),
          subject: z.string().max(200).optional(),
          actor: z.string().max(200).optional(),
          from: timestampQuery.optional(),
          to: timestampQuery.optional(),
        }),
        response: { 200: pageOf(auditEventSchema), ...standardProblems },
      },
    },
    async (request) => {
      const { limit, cursor, action, subject, actor, from, to } = request.query;
      const after = decodeCursor(cursor, isNumber);
      // Every lookup and crossing answered before this read is in the chain first (the journal, sealed).
      await sealer.sealAll();
      const rows = await db
        .select()
        .from(auditEvents)
        .where(
          and(
            after !== undefined ? gt(auditEvents.seq, after) : undefined,
            action ? eq(auditEvents.action, action) : undefined,
            subject ? eq(auditEvents.subject, subject) : undefined,
            actor ? eq(auditEvents.actor, actor) : undefined,
            from ? gte(auditEvents.at, new Date(from)) : undefined,
            to ? lt(auditEvents.at, new Date(to)) : undefined,
          ),
        )
        .orderBy(asc(auditEvents.seq))
        .limit(limit + 1);
      const page = paginate(rows, limit, (r) => r.seq);
      return {
        items: page.items.map((r) => ({ ...r, at: r.at.toISOString(), data: r.data as Record<string, unknown> })),
        nextCursor: page.nextCursor,
      };
    },
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
    async () => {
      await sealer.sealAll();
      return verifyChain(db);
    },
  );
};
