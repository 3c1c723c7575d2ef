import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { verifyChain } from '../../audit/chain.js';
import type { ModuleOptions } from '../../deps.js';
import { ValidationError } from '../../errors.js';
import { standardProblems, timestamp } from '../../http/common.js';
import { decodeCursor, isNumber, pageOf, pageQuery, paginate } from '../../http/pagination.js';
import { AUDIT_ACTIONS } from './actions.js';
import { actionInLog, actorsOfUsername, knownActions, listAuditEvents, usernamesOfActors } from './queries.js';

const auditEventSchema = z
  .object({
    seq: z.number().int(),
    at: timestamp,
    actor: z.string(),
    actorUsername: z
      .string()
      .nullable()
      .describe("The actor's username (an API client: its client_id); null for the service itself (`cli`, `anonymous`)"),
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

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const BORDER_OFFSET = '+08:00';
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A `from`/`to` bound: an RFC 3339 time as it is, or a date as a day at the border
 * (UTC+8): `from` its start, `to` its end (the whole day is included).
 */
export function boundOf(value: string, edge: 'from' | 'to'): Date | undefined {
  if (DATE_RE.test(value)) {
    if (!z.iso.date().safeParse(value).success) return undefined;
    const start = new Date(`${value}T00:00:00${BORDER_OFFSET}`);
    return edge === 'from' ? start : new Date(start.getTime() + DAY_MS);
  }
  if (!z.iso.datetime({ offset: true }).safeParse(value).success) return undefined;
  return new Date(value);
}

const boundQuery = (edge: 'from' | 'to') =>
  z
    .string()
    .max(64)
    .refine((v) => boundOf(v, edge) !== undefined, {
      message: 'must be a date (YYYY-MM-DD) or an RFC 3339 time, e.g. 2026-12-01 or 2026-12-01T08:30:00+08:00',
    })
    .describe(
      edge === 'from'
        ? 'Events at or after: an RFC 3339 time, or a date YYYY-MM-DD meaning the start of that day at the border (00:00 UTC+8)'
        : 'Events before: an RFC 3339 time (exclusive), or a date YYYY-MM-DD meaning up to the end of that day at the border (UTC+8), inclusive',
    );

export const auditRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps, sealer }) => {
  const { db } = deps.database;

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
        querystring: z.object({
          ...pageQuery,
          order: z.enum(['asc', 'desc']).default('asc').describe('asc: oldest first (the default); desc: newest first'),
          action: z.string().max(100).optional(),
          subject: z.string().max(200).optional(),
          actor: z.string().max(200).optional(),
          actorUsername: z.string().trim().min(1, 'must not be empty').max(200).optional(),
          from: boundQuery('from').optional(),
          to: boundQuery('to').optional(),
        }),
        response: { 200: pageOf(auditEventSchema), ...standardProblems },
      },
    },
    async (request) => {
      const { limit, cursor, order, action, subject, actor, actorUsername, from, to } = request.query;
      const after = decodeCursor(cursor, isNumber);
      const fromAt = from !== undefined ? boundOf(from, 'from') : undefined;
      const toAt = to !== undefined ? boundOf(to, 'to') : undefined;
      if (fromAt && toAt && toAt <= fromAt) throw new ValidationError([{ path: 'to', message: 'must be after from' }]);
      // Every lookup and crossing answered before this read is in the chain first (the journal, sealed).
      await sealer.sealAll();
      if (action && !(AUDIT_ACTIONS as readonly string[]).includes(action) && !(await actionInLog(db, action))) {
        const known = await knownActions(db);
        throw new ValidationError(
          [{ path: 'action', message: `is not a known action; the known actions are: ${known.join(', ')}` }],
          `Unknown action "${action}". The known actions are: ${known.join(', ')}`,
        );
      }
      let actors: string[] | undefined = actor ? [actor] : undefined;
      if (actorUsername !== undefined) {
        const named = await actorsOfUsername(db, actorUsername);
        actors = actors ? actors.filter((a) => named.includes(a)) : named;
      }
      const rows = await listAuditEvents(db, {
        order,
        limit,
        after,
        action: action || undefined,
        subject: subject || undefined,
        actors,
        from: fromAt,
        to: toAt,
      });
      const page = paginate(rows, limit, (r) => r.seq);
      const names = await usernamesOfActors(db, page.items.map((r) => r.actor));
      return {
        items: page.items.map((r) => ({
          ...r,
          actorUsername: names.get(r.actor) ?? null,
          at: r.at.toISOString(),
          data: r.data as Record<string, unknown>,
        })),
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
