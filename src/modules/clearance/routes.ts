import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Principal } from '../../auth/principal.js';
import { queryRows } from '../../db/client.js';
import { crossings, DIRECTIONS, inspections, items } from '../../db/schema.js';
import type { ModuleOptions } from '../../deps.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import { idParams, standardProblems, timestamp, timestampQuery } from '../../http/common.js';
import { fastSerializerCompiler } from '../../http/fast-serializer.js';
import { answerStored, idempotent, keyRecordOf } from '../../http/idempotency.js';
import { decodeCursor, isUuid, pageOf, pageQuery, paginate } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';
import { RateLimiter } from '../../http/rate-limit.js';
import { recordStage } from '../../http/server-timing.js';
import {
  crossingBodySchema,
  crossingSchema,
  inspectionBodySchema,
  inspectionSchema,
  lookupResponseSchema,
  travellerRefSchema,
} from './schemas.js';
import { presentCrossings } from './present.js';
import { lookup, recordCrossing, recordInspection, tryRecordCrossing } from './service.js';
import { CrossingWriter } from './writer.js';
import { CrossingReader, TravellerReader } from './reader.js';

const problems = { ...standardProblems, 404: problemSchema, 409: problemSchema, 428: problemSchema };

/** Which crossings a caller may see: supervisors all, officers their checkpoint, admins their staff's. */
function crossingScope(p: Principal) {
  if (p.role === 'officer') return eq(crossings.checkpoint, p.checkpoint ?? '');
  if (p.role === 'institution_admin') return eq(crossings.institutionId, p.institutionId ?? '00000000-0000-0000-0000-000000000000');
  return undefined;
}

export const clearanceRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps, sealer }) => {
  const { db } = deps.database;
  const crossingWriter = new CrossingWriter(db);
  const travellerReader = new TravellerReader(db, deps.config.clearance.lookupSynchronousCommit);
  const crossingReader = new CrossingReader(db);
  const timing = deps.config.http.serverTiming;
  app.addHook('onClose', async () => {
    await crossingWriter.close();
  });
  // An officer looks up the travellers in front of them, not the whitelist: cap the pace. One budget for
  // lookups and crossings alike (a crossing answers the card too), counted before any database work.
  const perOfficer =
    deps.config.rateLimits.lookupsPerOfficerPerMinute > 0
      ? new RateLimiter(deps.config.rateLimits.lookupsPerOfficerPerMinute, 60_000)
      : undefined;
  const BUDGET_DETAIL = 'Too many lookups and crossings from this account; they are for travellers at the desk';

  app.post(
    '/v1/clearance/lookup',
    {
      config: { auth: ['officer'] },
      schema: {
        tags: ['clearance'],
        summary: 'Look a traveller up by document or MRZ: the traveller card',
        body: travellerRefSchema,
        response: { 200: lookupResponseSchema, ...problems },
      },
      // The hot path: the card is serialised by a function compiled from its schema.
      serializerCompiler: fastSerializerCompiler as never,
    },
    async (request) => {
      perOfficer?.check(request.user.sub, BUDGET_DETAIL);
      return lookup(
        { reader: travellerReader, now: deps.now, sealer },
        request.user,
        request.body,
        timing ? (name, ms) => recordStage(request, name, ms) : undefined,
      );
    },
  );

  app.post(
    '/v1/crossings',
    {
      config: { auth: ['officer'] },
      schema: {
        tags: ['clearance'],
        summary: 'Declare a crossing at your checkpoint: CLEARED or FLAGGED with reasons',
        description:
          'Requires an Idempotency-Key header. The crossing is written in one transaction, only if the declared items are still as they were when it was decided; otherwise it is decided again with the items locked.',
        body: crossingBodySchema,
        response: { 201: crossingSchema, ...problems },
      },
      // The other hot path: the crossing's answer is built by crossingView from what was written.
      serializerCompiler: fastSerializerCompiler as never,
    },
    async (request, reply) => {
      perOfficer?.check(request.user.sub, BUDGET_DETAIL);
      const key = keyRecordOf(request, true)!;
      const crossingDeps = { now: deps.now, random: deps.random, randomInspectionRate: deps.config.clearance.randomInspectionRate };
      // Decided without locks and written with the crossings of the other desks (CrossingWriter) …
      const fast = await tryRecordCrossing(crossingReader, crossingWriter, crossingDeps, request.user, request.body, key);
      if (fast && 'replay' in fast) return answerStored(reply, fast.replay, key);
      if (fast) {
        // Its audit event is in the journal: the sealer links it to the chain soon after.
        sealer.kick();
        reply.code(201).header('location', fast.location);
        return fast.view;
      }
      // … or, when that could not be written as decided, decided again inside a transaction under locks.
      const answer = await idempotent(
        db,
        request,
        reply,
        async (tx, record) => {
          const result = await recordCrossing(tx, crossingDeps, request.user, request.body, record);
          if (result.replay) return { replay: result.replay };
          return { status: 201, body: result.view, headers: { location: result.location }, keyStored: result.keyStored };
        },
        { required: true, checkInWork: true, record: key },
      );
      sealer.kick();
      return answer;
    },
  );

  app.post(
    '/v1/crossings/:id/inspection',
    {
      config: { auth: ['officer'] },
      schema: {
        tags: ['clearance'],
        summary: 'Record the outcome of the inspection of a FLAGGED crossing (once)',
        params: idParams,
        body: inspectionBodySchema,
        response: { 201: inspectionSchema, ...problems },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async (tx) => {
        const inspectionId = await recordInspection(tx, { now: deps.now }, request.user, request.params.id, request.body);
        const [row] = await tx.select().from(inspections).where(eq(inspections.id, inspectionId));
        return { status: 201, body: { ...row!, recordedAt: row!.recordedAt.toISOString() } };
      }),
  );

  app.get(
    '/v1/crossings',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin'] },
      schema: {
        tags: ['clearance'],
        summary: 'Crossings, newest first: supervisors all, officers their checkpoint, institution admins their staff',
        querystring: z.object({
          ...pageQuery,
          checkpoint: z.string().max(16).optional(),
          decision: z.enum(['CLEARED', 'FLAGGED']).optional(),
          direction: z.enum(DIRECTIONS).optional(),
          researcherId: z.uuid().optional(),
          from: timestampQuery.optional(),
          to: timestampQuery.optional(),
        }),
        response: { 200: pageOf(crossingSchema), ...problems },
      },
    },
    async (request) => {
      const me = request.user;
      const q = request.query;
      if (me.role === 'officer' && q.checkpoint && q.checkpoint !== me.checkpoint) {
        throw new ForbiddenError('Officers see the crossings of their own checkpoint only');
      }
      const before = decodeCursor(q.cursor, isUuid);
      const rows = await deps.database.readDb
        .select()
        .from(crossings)
        .where(
          and(
            crossingScope(me),
            q.checkpoint ? eq(crossings.checkpoint, q.checkpoint) : undefined,
            q.decision ? eq(crossings.decision, q.decision) : undefined,
            q.direction ? eq(crossings.direction, q.direction) : undefined,
            q.researcherId ? eq(crossings.researcherId, q.researcherId) : undefined,
            q.from ? gte(crossings.decidedAt, new Date(q.from)) : undefined,
            q.to ? lt(crossings.decidedAt, new Date(q.to)) : undefined,
            before ? lt(crossings.id, before) : undefined,
          ),
        )
        .orderBy(desc(crossings.id))
        .limit(q.limit + 1);
      const page = paginate(rows, q.limit, (r) => r.id);
      return { items: await presentCrossings(deps.database.readDb, page.items), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/crossings/:id',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin'] },
      schema: { tags: ['clearance'], summary: 'One crossing', params: idParams, response: { 200: crossingSchema, ...problems } },
    },
    async (request) => {
      const rows = await db
        .select()
        .from(crossings)
        .where(and(eq(crossings.id, request.params.id), crossingScope(request.user)));
      if (rows.length === 0) throw new NotFoundError('Crossing');
      const [body] = await presentCrossings(db, rows);
      return body!;
    },
  );

  // ---- item ledger ------------------------------------------------------------

  const historyEntry = z.object({
    at: timestamp,
    kind: z.string().describe('registration step (item.create, item.endorse, …) or movement (moved, consumed, copied)'),
    actor: z.string().nullable(),
    crossingId: z.string().nullable(),
    inspectionId: z.string().nullable(),
    fromSide: z.string().nullable(),
    toSide: z.string().nullable(),
    quantity: z.number().nullable(),
    remainingAfter: z.number().nullable(),
    returnBy: timestamp.nullable(),
    status: z.string().nullable(),
    reason: z.string().nullable(),
  });

  app.get(
    '/v1/items/:id/history',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['items'],
        summary: 'The item ledger: every registration step and every movement, in order',
        params: idParams,
        response: { 200: z.object({ itemId: z.string(), entries: z.array(historyEntry) }), ...problems },
      },
    },
    async (request) => {
      const me = request.user;
      const [item] = await db.select({ id: items.id, institutionId: items.institutionId }).from(items).where(eq(items.id, request.params.id));
      if (!item) throw new NotFoundError('Item');
      if (me.role === 'institution_admin' && me.institutionId !== item.institutionId) throw new NotFoundError('Item');
      if (me.role === 'researcher') {
        const custodian = await queryRows(
          db,
          sql`select 1 from item_custodians where item_id = ${item.id}::uuid and researcher_id = ${me.researcherId ?? null}::uuid`,
        );
        if (custodian.length === 0) throw new NotFoundError('Item');
      }
      const entries = await queryRows<{
        at: Date | string;
        kind: string;
        actor: string | null;
        crossing_id: string | null;
        inspection_id: string | null;
        from_side: string | null;
        to_side: string | null;
        quantity: number | null;
        remaining_after: number | null;
        return_by: Date | string | null;
        status: string | null;
        reason: string | null;
        ord: number;
      }>(
        db,
        sql`
        select at, action as kind, actor, null::uuid as crossing_id, null::uuid as inspection_id,
               null as from_side, null as to_side, null::float8 as quantity, null::float8 as remaining_after,
               null::timestamptz as return_by,
               coalesce(data->'after'->>'status', data->>'status') as status,
               coalesce(data->>'reason', data->'after'->>'statusReason') as reason,
               seq as ord, null::uuid as tiebreak
          from audit_events where subject = ${`item:${item.id}`}
        union all
        select m.at, m.kind, c.officer_id::text, m.crossing_id, m.inspection_id, m.from_side, m.to_side, m.quantity,
               m.remaining_after, m.return_by, null, null, 0, m.id
          from item_movements m join crossings c on c.id = m.crossing_id
         where m.item_id = ${item.id}::uuid
        order by at, ord, tiebreak`,
      );
      const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());
      return {
        itemId: item.id,
        entries: entries.map((e) => ({
          at: iso(e.at)!,
          kind: e.kind,
          actor: e.actor,
          crossingId: e.crossing_id,
          inspectionId: e.inspection_id,
          fromSide: e.from_side,
          toSide: e.to_side,
          quantity: e.quantity === null ? null : Number(e.quantity),
          remainingAfter: e.remaining_after === null ? null : Number(e.remaining_after),
          returnBy: iso(e.return_by),
          status: e.status,
          reason: e.reason,
        })),
      };
    },
  );
};
