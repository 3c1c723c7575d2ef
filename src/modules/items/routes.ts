import { and, eq } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { appendAudit } from '../../audit/chain.js';
import { actorOf, type Principal } from '../../auth/principal.js';
import { borderDate } from '../../domain/border.js';
import { institutions, items } from '../../db/schema.js';
import type { ModuleOptions } from '../../deps.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { idParams, standardProblems } from '../../http/common.js';
import { etagOf, requireIfMatch } from '../../http/etag.js';
import { idempotent } from '../../http/idempotency.js';
import { decodeCursor, isUuid, pageOf, paginate } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';
import {
  canSeeItem,
  checkCustodians,
  custodiansOf,
  insertItem,
  type ItemRow,
  type ItemStatus,
  listItems,
  loadItem,
  presentItem,
  replaceCustodians,
} from './queries.js';
import {
  approveItemBody,
  createItemBody,
  emptyBody,
  itemSchema,
  listItemsQuery,
  normalizeSerialNumber,
  optionalReasonBody,
  reasonBody,
  updateItemBody,
} from './schemas.js';

const notFound = { 404: problemSchema };
const conflict = { 409: problemSchema };
const preconditions = { 412: problemSchema, 428: problemSchema };

type Action = 'endorse' | 'approve' | 'reject' | 'suspend' | 'reinstate' | 'revoke';

/** The item workflow: which statuses each action starts from, and where it leads. */
export const ITEM_TRANSITIONS: Record<Action, { from: readonly ItemStatus[]; to: ItemStatus }> = {
  endorse: { from: ['submitted'], to: 'endorsed' },
  approve: { from: ['endorsed', 'approved'], to: 'approved' },
  reject: { from: ['submitted', 'endorsed'], to: 'rejected' },
  suspend: { from: ['approved'], to: 'suspended' },
  reinstate: { from: ['suspended'], to: 'approved' },
  revoke: { from: ['submitted', 'endorsed', 'approved', 'rejected', 'suspended'], to: 'revoked' },
};

/** The part of an item that the workflow changes: what its audit events record. */
const workflowState = (r: ItemRow) => ({ status: r.status, statusReason: r.statusReason, validUntil: r.validUntil });

export const itemRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps }) => {
  const { db } = deps.database;

  const audit = (me: Principal) => ({ actor: actorOf(me), role: me.role });

  // ---- register --------------------------------------------------------------

  app.post(
    '/v1/institutions/:id/items',
    {
      config: { auth: ['supervisor', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['items'],
        summary: 'Register an item',
        description:
          'Institution admins (of this institution) and supervisors register items as `endorsed`. A researcher of the ' +
          'institution pre-registers an item they will carry as `submitted`, with themself as the only custodian; ' +
          'the institution then endorses it. Honours Idempotency-Key.',
        params: idParams,
        body: createItemBody,
        response: { 201: itemSchema, ...standardProblems, ...notFound, ...conflict },
      },
    },
    async (request, reply) => {
      const me = request.user;
      const institutionId = request.params.id;
      const body = request.body;

      if ((me.role === 'institution_admin' || me.role === 'researcher') && me.institutionId !== institutionId) {
        throw new NotFoundError('Institution');
      }
      let custodianIds: readonly string[];
      let submittedBy: string | null = null;
      if (me.role === 'researcher') {
        if (!me.researcherId) throw new ForbiddenError('This account is not linked to a researcher');
        submittedBy = me.researcherId;
        const given = body.custodianIds;
        if (given !== undefined && (given.length !== 1 || given[0]!.toLowerCase() !== me.researcherId.toLowerCase())) {
          throw new ValidationError([
            { path: 'custodianIds', message: 'a researcher registers items with themself as the only custodian' },
          ]);
        }
        custodianIds = [me.researcherId];
      } else {
        if (body.custodianIds === undefined) {
          throw new ValidationError([{ path: 'custodianIds', message: 'is required: name at least one custodian' }]);
        }
        custodianIds = body.custodianIds;
      }

      return idempotent(db, request, reply, async (tx) => {
        // Inside the idempotent work, so that a retry after the institution changed still replays.
        const [institution] = await tx
          .select({ id: institutions.id, status: institutions.status })
          .from(institutions)
          .where(eq(institutions.id, institutionId))
          .for('share')
          .limit(1);
        if (!institution) throw new NotFoundError('Institution');
        if (institution.status !== 'active') {
          throw new ConflictError('A suspended institution cannot register items', 'INSTITUTION_SUSPENDED');
        }
        const custodians = await checkCustodians(tx, institutionId, custodianIds);
        const now = deps.now();
        const row = await insertItem(tx, {
          institutionId,
          status: me.role === 'researcher' ? 'submitted' : 'endorsed',
          submittedBy,
          custodianIds: custodians,
          body,
          now,
        });
        const created = presentItem(row, custodians);
        await appendAudit(
          tx,
          { ...audit(me), action: 'item.create', subject: `item:${row.id}`, data: { institutionId, after: created } },
          now,
        );
        return {
          status: 201,
          body: created,
          headers: { location: `/v1/items/${row.id}`, etag: etagOf(row.version) },
        };
      });
    },
  );

  // ---- read ------------------------------------------------------------------

  app.get(
    '/v1/items',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['items'],
        summary: 'List the items in your scope',
        description:
          'Supervisors and officers see every item; an institution admin those of its institution; a researcher ' +
          'those they are a custodian of. Served by the read replica when there is one.',
        querystring: listItemsQuery,
        response: { 200: pageOf(itemSchema), ...standardProblems },
      },
    },
    async (request) => {
      const { limit, cursor, serialNumber, ...filters } = request.query;
      const after = decodeCursor(cursor, isUuid);
      const conn = deps.database.readDb;
      const rows = await listItems(
        conn,
        request.user,
        { ...filters, serialNumber: serialNumber === undefined ? undefined : normalizeSerialNumber(serialNumber) },
        { after, limit },
      );
      const page = paginate(rows, limit, (r) => r.id);
      const custodians = await custodiansOf(
        conn,
        page.items.map((r) => r.id),
      );
      return { items: page.items.map((r) => presentItem(r, custodians.get(r.id) ?? [])), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/items/:id',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['items'],
        summary: 'Read an item',
        description: 'Answers an ETag to send back as If-Match on PATCH.',
        params: idParams,
        response: { 200: itemSchema, ...standardProblems, ...notFound },
      },
    },
    async (request, reply) => {
      const row = await loadItem(db, request.params.id);
      if (!row) throw new NotFoundError('Item');
      const custodians = (await custodiansOf(db, [row.id])).get(row.id) ?? [];
      if (!canSeeItem(request.user, row, custodians)) throw new NotFoundError('Item');
      reply.header('etag', etagOf(row.version));
      return presentItem(row, custodians);
    },
  );

  // ---- update ----------------------------------------------------------------

  app.patch(
    '/v1/items/:id',
    {
      config: { auth: ['supervisor', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['items'],
        summary: 'Change the name, description or custodians of an item',
        description:
          'Needs If-Match with the ETag of your last read (428 without, 412 when stale). Institution admins of the ' +
          'item and supervisors change `name`, `description` and `custodianIds`; a researcher changes the name and ' +
          'description of an item they submitted while it is still `submitted`. Every other field is refused (422) — ' +
          'status moves through the workflow actions. A revoked item is final.',
        params: idParams,
        body: updateItemBody,
        response: { 200: itemSchema, ...standardProblems, ...notFound, ...conflict, ...preconditions },
      },
    },
    async (request, reply) => {
      const me = request.user;
      const body = request.body;
      const result = await db.transaction(async (tx) => {
        const before = await loadItem(tx, request.params.id, { lock: true });
        if (!before) throw new NotFoundError('Item');
        const custodians = (await custodiansOf(tx, [before.id])).get(before.id) ?? [];
        if (!canSeeItem(me, before, custodians)) throw new NotFoundError('Item');
        if (me.role === 'researcher') {
          if (before.submittedBy !== me.researcherId || before.status !== 'submitted') {
            throw new ForbiddenError('A researcher may change only an item they submitted, while it is still submitted');
          }
          if (body.custodianIds !== undefined) {
            throw new ForbiddenError('Only the institution can change the custodians of an item');
          }
        }
        if (before.status === 'revoked') throw new ConflictError('A revoked item cannot be changed', 'ITEM_REVOKED');
        requireIfMatch(request, before.version);

        const nextCustodians =
          body.custodianIds === undefined ? custodians : await checkCustodians(tx, before.institutionId, body.custodianIds);
        const changes: { name?: string; description?: string | null } = {};
        if (body.name !== undefined && body.name !== before.name) changes.name = body.name;
        if (body.description !== undefined) {
          const description = body.description === '' ? null : body.description;
          if (description !== before.description) changes.description = description;
        }
        const custodiansChanged = nextCustodians.join(',') !== custodians.join(',');
        if (Object.keys(changes).length === 0 && !custodiansChanged) return { row: before, custodians };

        const now = deps.now();
        const [row] = await tx
          .update(items)
          .set({ ...changes, version: before.version + 1, updatedAt: now })
          .where(and(eq(items.id, before.id), eq(items.version, before.version)))
          .returning();
        if (custodiansChanged) await replaceCustodians(tx, before.id, nextCustodians, now);

        const beforeData: Record<string, unknown> = {};
        const afterData: Record<string, unknown> = {};
        for (const key of Object.keys(changes) as (keyof typeof changes)[]) {
          beforeData[key] = before[key];
          afterData[key] = changes[key];
        }
        if (custodiansChanged) {
          beforeData.custodianIds = custodians;
          afterData.custodianIds = nextCustodians;
        }
        await appendAudit(
          tx,
          {
            ...audit(me),
            action: 'item.update',
            subject: `item:${before.id}`,
            data: { institutionId: before.institutionId, before: beforeData, after: afterData },
          },
          now,
        );
        return { row: row!, custodians: nextCustodians };
      });
      reply.header('etag', etagOf(result.row.version));
      return presentItem(result.row, result.custodians);
    },
  );

  // ---- workflow --------------------------------------------------------------

  /**
   * Moves one item along the workflow in one transaction with its audit event.
   * If-Match is optional here but honoured (412 when stale); Idempotency-Key too.
   */
  async function transition(
    request: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
    action: Action,
    change: { reason?: string | undefined; validUntil?: string },
  ) {
    const me = request.user;
    const { from, to } = ITEM_TRANSITIONS[action];
    return idempotent(db, request, reply, async (tx) => {
      if (change.validUntil !== undefined) {
        // Border date (UTC+08:00): the last day of an approval may be today, never yesterday.
        const today = borderDate(deps.now());
        if (change.validUntil < today) {
          throw new ValidationError([
            { path: 'validUntil', message: `must not be in the past (today at the border is ${today})` },
          ]);
        }
      }
      const before = await loadItem(tx, request.params.id, { lock: true });
      if (!before) throw new NotFoundError('Item');
      const custodians = (await custodiansOf(tx, [before.id])).get(before.id) ?? [];
      if (!canSeeItem(me, before, custodians)) throw new NotFoundError('Item');
      if (request.headers['if-match'] !== undefined) requireIfMatch(request, before.version);
      if (!from.includes(before.status)) {
        throw new ConflictError(
          `Cannot ${action} an item that is ${before.status}` +
            (action === 'revoke' ? '' : `; ${action} applies to ${from.join(' or ')} items`),
          'INVALID_TRANSITION',
        );
      }
      const now = deps.now();
      const keepsReason = to === 'rejected' || to === 'suspended' || to === 'revoked';
      const [row] = await tx
        .update(items)
        .set({
          status: to,
          statusReason: keepsReason ? (change.reason ?? null) : null,
          ...(change.validUntil !== undefined ? { validUntil: change.validUntil } : {}),
          version: before.version + 1,
          updatedAt: now,
        })
        .where(and(eq(items.id, before.id), eq(items.version, before.version)))
        .returning();
      await appendAudit(
        tx,
        {
          ...audit(me),
          action: `item.${action}`,
          subject: `item:${before.id}`,
          data: {
            institutionId: before.institutionId,
            ...(change.reason !== undefined ? { reason: change.reason } : {}),
            ...(action === 'approve' && before.status === 'approved' ? { renewal: true } : {}),
            before: workflowState(before),
            after: workflowState(row!),
          },
        },
        now,
      );
      return { status: 200, body: presentItem(row!, custodians), headers: { etag: etagOf(row!.version) } };
    });
  }

  const workflowResponse = { 200: itemSchema, ...standardProblems, ...notFound, ...conflict, 412: problemSchema };
  const workflowNote = ' If-Match is honoured when sent (412 when stale); an action from the wrong status is a 409 INVALID_TRANSITION.';

  app.post(
    '/v1/items/:id/endorse',
    {
      config: { auth: ['institution_admin'] },
      schema: {
        tags: ['items'],
        summary: 'Endorse a submitted item (its institution): submitted → endorsed',
        description: 'Institution admins of the item only.' + workflowNote,
        params: idParams,
        body: emptyBody.nullish(),
        response: workflowResponse,
      },
    },
    async (request, reply) => transition(request, reply, 'endorse', {}),
  );

  app.post(
    '/v1/items/:id/approve',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['items'],
        summary: 'Approve an endorsed item until validUntil, or renew an approved one',
        description: 'endorsed → approved, approved → approved (renewal). validUntil is a border date (UTC+08:00), not in the past.' + workflowNote,
        params: idParams,
        body: approveItemBody,
        response: workflowResponse,
      },
    },
    async (request, reply) => transition(request, reply, 'approve', { validUntil: request.body.validUntil }),
  );

  const withReason = (action: 'reject' | 'suspend' | 'revoke', summary: string, description: string) =>
    app.post(
      `/v1/items/:id/${action}`,
      {
        config: { auth: ['supervisor'] },
        schema: {
          tags: ['items'],
          summary,
          description: description + workflowNote,
          params: idParams,
          body: reasonBody,
          response: workflowResponse,
        },
      },
      async (request, reply) => transition(request, reply, action, { reason: request.body.reason }),
    );
  withReason('reject', 'Reject a submitted or endorsed item', 'submitted | endorsed → rejected, with a reason.');
  withReason('suspend', 'Suspend an approved item', 'approved → suspended, with a reason.');
  withReason('revoke', 'Revoke an item for good', 'any status but revoked → revoked, with a reason. Final.');

  app.post(
    '/v1/items/:id/reinstate',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['items'],
        summary: 'Reinstate a suspended item',
        description: 'suspended → approved, keeping its validUntil. An optional reason goes to the audit log.' + workflowNote,
        params: idParams,
        body: optionalReasonBody.nullish(),
        response: workflowResponse,
      },
    },
    async (request, reply) => transition(request, reply, 'reinstate', { reason: request.body?.reason }),
  );

};
