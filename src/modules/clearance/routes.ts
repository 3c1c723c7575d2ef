import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModuleOptions } from '../../deps.js';
import { DIRECTIONS } from '../../domain/statuses.js';
import { ForbiddenError } from '../../errors.js';
import { idParams, standardProblems, timestamp, timestampQuery } from '../../http/common.js';
import { fastSerializerCompiler } from '../../http/fast-serializer.js';
import { answerStored, idempotent, keyRecordOf } from '../../http/idempotency.js';
import { decodeCursor, isUuid, pageOf, pageQuery } from '../../http/pagination.js';
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
// Loaded here, after ours, so that the OpenAPI document lists the item components after the crossing's, as it always has.
import '../items/schemas.js';

const problems = { ...standardProblems, 404: problemSchema, 409: problemSchema, 428: problemSchema };

export const clearanceRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps, services, sealer }) => {
  const { clearance } = services;
  // The crossing under locks and the inspection run in idempotent()'s transaction (the Idempotency-Key's HTTP half).
  const { db } = deps.database;
  const timing = deps.config.http.serverTiming;
  // An officer looks up the travellers in front of them, not the whitelist: cap the pace. One budget for
  // lookups and crossings alike (a crossing answers the card too), counted here (a 429) before any database work.
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
      return clearance.lookup(
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
      // Decided without locks and written with the crossings of the other desks (CrossingWriter) …
      const fast = await clearance.tryRecordCrossing(request.user, request.body, key);
      if (fast && 'replay' in fast) return answerStored(reply, fast.replay, key);
      if (fast) {
        reply.code(201).header('location', fast.location);
        return fast.view;
      }
      // … or, when that could not be written as decided, decided again inside a transaction under locks.
      const answer = await idempotent(
        db,
        request,
        reply,
        async (tx, record) => {
          const result = await clearance.recordCrossing(tx, request.user, request.body, record);
          if (result.replay) return { replay: result.replay };
          return { status: 201, body: result.view, headers: { location: result.location }, keyStored: result.keyStored };
        },
        { required: true, checkInWork: true, record: key },
      );
      // Its audit event is in the journal, committed: the sealer links it to the chain soon after.
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
      idempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await clearance.recordInspection(tx, request.user, request.params.id, request.body),
      })),
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
      return clearance.listCrossings(me, { ...q, before });
    },
  );

  app.get(
    '/v1/crossings/:id',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin'] },
      schema: { tags: ['clearance'], summary: 'One crossing', params: idParams, response: { 200: crossingSchema, ...problems } },
    },
    async (request) => clearance.getCrossing(request.user, request.params.id),
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
    async (request) => clearance.itemHistory(request.user, request.params.id),
  );
};
