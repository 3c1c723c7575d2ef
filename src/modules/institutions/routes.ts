import { and, eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appendAudit } from '../../audit/chain.js';
import { actorOf } from '../../auth/principal.js';
import { sqlState, violatedConstraint } from '../../db/errors.js';
import { institutions } from '../../db/schema.js';
import type { ModuleOptions } from '../../deps.js';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../errors.js';
import { idParams, standardProblems } from '../../http/common.js';
import { etagOf, requireIfMatch } from '../../http/etag.js';
import { idempotent } from '../../http/idempotency.js';
import { decodeCursor, encodeCursor, isUuid, pageOf, pageQuery } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';
import { uuidv7 } from '../../lib/ids.js';
import { fieldNamingValidatorCompiler, optionalIfMatch } from '../researchers/validation.js';
import {
  assertRegistrationFree,
  auditInstitution,
  getInstitution,
  type InstitutionRow,
  listInstitutions,
  presentInstitution,
  registrationConflict,
} from './queries.js';
import {
  createInstitutionBody,
  institutionKindSchema,
  institutionSchema,
  institutionStatusSchema,
  sideSchema,
  suspendInstitutionBody,
  updateInstitutionBody,
} from './schemas.js';

const notFound = { 404: problemSchema };
const conflict = { 409: problemSchema };
const preconditions = { 412: problemSchema, 428: problemSchema };

/** A concurrent registration of the same (side, registration number) loses with the same 409. */
function translateRegistrationRace(err: unknown, side: string): unknown {
  return sqlState(err) === '23505' && violatedConstraint(err) === 'institutions_side_registration_uq'
    ? registrationConflict(side)
    : err;
}

export const institutionRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps }) => {
  const { db } = deps.database;
  app.setValidatorCompiler(fieldNamingValidatorCompiler);

  app.post(
    '/v1/institutions',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['institutions'],
        summary: 'Register an institution',
        description: '(side, registrationNumber) is unique: a second registration is a 409. Honours Idempotency-Key.',
        body: createInstitutionBody,
        response: { 201: institutionSchema, ...standardProblems, ...conflict },
      },
    },
    async (request, reply) => {
      const me = request.user;
      const body = request.body;
      try {
        return await idempotent(db, request, reply, async (tx) => {
          await assertRegistrationFree(tx, body.side, body.registrationNumber);
          const now = deps.now();
          const [row] = await tx
            .insert(institutions)
            .values({
              id: uuidv7(),
              name: body.name,
              nameZh: body.nameZh ?? null,
              side: body.side,
              kind: body.kind,
              registrationNumber: body.registrationNumber,
              createdAt: now,
              updatedAt: now,
            })
            .returning();
          await appendAudit(
            tx,
            {
              actor: actorOf(me),
              role: me.role,
              action: 'institution.create',
              subject: `institution:${row!.id}`,
              data: { after: auditInstitution(row!) },
            },
            now,
          );
          return {
            status: 201,
            body: presentInstitution(row!),
            headers: { location: `/v1/institutions/${row!.id}`, etag: etagOf(row!.version) },
          };
        });
      } catch (err) {
        throw translateRegistrationRace(err, body.side);
      }
    },
  );

  app.get(
    '/v1/institutions',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['institutions'],
        summary: 'List institutions',
        description: 'Supervisors see all; an institution admin sees its own only.',
        querystring: z.strictObject({
          ...pageQuery,
          side: sideSchema.optional(),
          status: institutionStatusSchema.optional(),
          kind: institutionKindSchema.optional(),
        }),
        response: { 200: pageOf(institutionSchema), ...standardProblems },
      },
    },
    async (request) => {
      const me = request.user;
      const { limit, cursor, side, status, kind } = request.query;
      const after = decodeCursor(cursor, isUuid);
      // Lists may be served by a read replica.
      const rows = await listInstitutions(deps.database.readDb, {
        limit,
        after,
        side,
        status,
        kind,
        onlyId: me.role === 'supervisor' ? undefined : (me.institutionId ?? '00000000-0000-0000-0000-000000000000'),
      });
      const more = rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      return { items: page.map(presentInstitution), nextCursor: more ? encodeCursor(page[page.length - 1]!.id) : null };
    },
  );

  app.get(
    '/v1/institutions/:id',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['institutions'],
        summary: 'Read an institution',
        description: 'An institution admin reads its own; any other is a 404. The ETag is for If-Match on PATCH.',
        params: idParams,
        response: { 200: institutionSchema, ...standardProblems, ...notFound },
      },
    },
    async (request, reply) => {
      const me = request.user;
      if (me.role !== 'supervisor' && me.institutionId !== request.params.id) throw new NotFoundError('Institution');
      const row = await getInstitution(db, request.params.id);
      reply.header('etag', etagOf(row.version));
      return presentInstitution(row);
    },
  );

  app.patch(
    '/v1/institutions/:id',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['institutions'],
        summary: 'Update an institution (If-Match required)',
        description:
          'Changes name, nameZh, side, kind or registrationNumber. Status changes go through suspend and reinstate. Without If-Match: 428; stale: 412.',
        params: idParams,
        body: updateInstitutionBody,
        response: { 200: institutionSchema, ...standardProblems, ...notFound, ...conflict, ...preconditions },
      },
    },
    async (request, reply) => {
      const me = request.user;
      const body = request.body;
      let side = body.side ?? 'HK';
      try {
        const row = await db.transaction(async (tx) => {
          const before = await getInstitution(tx, request.params.id, true);
          const version = requireIfMatch(request, before.version);
          side = body.side ?? before.side;
          const changes: Partial<InstitutionRow> = {};
          if (body.name !== undefined && body.name !== before.name) changes.name = body.name;
          if (body.nameZh !== undefined && body.nameZh !== before.nameZh) changes.nameZh = body.nameZh;
          if (body.side !== undefined && body.side !== before.side) changes.side = body.side;
          if (body.kind !== undefined && body.kind !== before.kind) changes.kind = body.kind;
          if (body.registrationNumber !== undefined && body.registrationNumber !== before.registrationNumber) {
            changes.registrationNumber = body.registrationNumber;
          }
          if (Object.keys(changes).length === 0) return before;
          if (changes.side !== undefined || changes.registrationNumber !== undefined) {
            await assertRegistrationFree(tx, side, changes.registrationNumber ?? before.registrationNumber, before.id);
          }
          const [after] = await tx
            .update(institutions)
            .set({ ...changes, version: version + 1, updatedAt: deps.now() })
            .where(and(eq(institutions.id, before.id), eq(institutions.version, version)))
            .returning();
          if (!after) throw new PreconditionFailedError();
          await appendAudit(
            tx,
            {
              actor: actorOf(me),
              role: me.role,
              action: 'institution.update',
              subject: `institution:${before.id}`,
              data: { before: auditInstitution(before), after: auditInstitution(after), changed: Object.keys(changes) },
            },
            deps.now(),
          );
          return after;
        });
        reply.header('etag', etagOf(row.version));
        return presentInstitution(row);
      } catch (err) {
        throw translateRegistrationRace(err, side);
      }
    },
  );

  const transitions = {
    suspend: { from: 'active', to: 'suspended', summary: 'Suspend an institution: its researchers are flagged at the border' },
    reinstate: { from: 'suspended', to: 'active', summary: 'Reinstate a suspended institution' },
  } as const;

  for (const action of ['suspend', 'reinstate'] as const) {
    const t = transitions[action];
    app.post(
      `/v1/institutions/:id/${action}`,
      {
        config: { auth: ['supervisor'] },
        schema: {
          tags: ['institutions'],
          summary: t.summary,
          description: `From ${t.from} only; otherwise 409 INVALID_TRANSITION. If-Match is optional (412 when stale).`,
          params: idParams,
          ...(action === 'suspend'
            ? { body: suspendInstitutionBody }
            : { body: z.strictObject({ reason: z.string().trim().max(2000).optional() }).nullish() }),
          response: { 200: institutionSchema, ...standardProblems, ...notFound, ...conflict, 412: problemSchema },
        },
      },
      async (request, reply) => {
        const me = request.user;
        const reason = (request.body as { reason?: string } | undefined)?.reason;
        const row = await db.transaction(async (tx) => {
          const before = await getInstitution(tx, request.params.id, true);
          optionalIfMatch(request, before.version);
          if (before.status !== t.from) {
            throw new ConflictError(
              `The institution is ${before.status}: it cannot be ${action === 'suspend' ? 'suspended' : 'reinstated'}`,
              'INVALID_TRANSITION',
            );
          }
          const now = deps.now();
          const [after] = await tx
            .update(institutions)
            .set({ status: t.to, statusReason: action === 'suspend' ? (reason ?? null) : null, version: before.version + 1, updatedAt: now })
            .where(and(eq(institutions.id, before.id), eq(institutions.version, before.version)))
            .returning();
          if (!after) throw new PreconditionFailedError();
          await appendAudit(
            tx,
            {
              actor: actorOf(me),
              role: me.role,
              action: `institution.${action}`,
              subject: `institution:${before.id}`,
              data: {
                ...(reason !== undefined ? { reason } : {}),
                before: auditInstitution(before),
                after: auditInstitution(after),
              },
            },
            now,
          );
          return after;
        });
        reply.header('etag', etagOf(row.version));
        return presentInstitution(row);
      },
    );
  }
};
