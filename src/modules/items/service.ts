import { appendAudit } from '../../audit/chain.js';
import { actorOf } from '../../auth/principal.js';
import type { Conn, Db } from '../../db/client.js';
import { borderDate } from '../../domain/border.js';
import { canSeeItem, type Principal } from '../../domain/scope.js';
import { allowedFrom, ITEM_TRANSITIONS, type ItemAction } from '../../domain/statuses.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { etagOf } from '../../http/etag.js';
import type { Once, Precondition } from '../../http/once.js';
import { paginate } from '../../http/pagination.js';
import { presentItem } from './present.js';
import {
  checkCustodians,
  custodiansOf,
  type ItemChanges,
  type ItemFilters,
  type ItemRow,
  insertItem,
  listItems,
  loadItem,
  lockInstitution,
  replaceCustodians,
  updateItem,
} from './queries.js';
import type { CreateItemBody, ItemView, UpdateItemBody } from './schemas.js';

export interface ItemServiceDeps {
  db: Db;
  /** Lists may be served by the read replica. */
  readDb: Db;
  now: () => Date;
}

export interface ItemChange {
  reason?: string | undefined;
  validUntil?: string;
}

/** The part of an item that the workflow changes: what its audit events record. */
const workflowState = (r: ItemRow) => ({ status: r.status, statusReason: r.statusReason, validUntil: r.validUntil });

const auditActor = (me: Principal) => ({ actor: actorOf(me), role: me.role });

/** Registration, reads, changes and the workflow of items; each write with its audit event. */
export function itemService({ db, readDb, now }: ItemServiceDeps) {
  /** The item and its custodians, or a 404 when there is none or it is outside the caller's scope. */
  async function visible(conn: Conn, me: Principal, id: string, lock: boolean) {
    const item = await loadItem(conn, id, { lock });
    if (!item) throw new NotFoundError('Item');
    const custodians = (await custodiansOf(conn, [item.id])).get(item.id) ?? [];
    if (!canSeeItem(me, item, custodians)) throw new NotFoundError('Item');
    return { item, custodians };
  }

  return {
    /**
     * Institution admins and supervisors register items as `endorsed`; a researcher
     * pre-registers one as `submitted`, with themself as the only custodian.
     */
    async register(me: Principal, institutionId: string, body: CreateItemBody, once: Once): Promise<ItemView> {
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

      return once(db, async (tx) => {
        // Inside the idempotent work, so that a retry after the institution changed still replays.
        const institution = await lockInstitution(tx, institutionId);
        if (!institution) throw new NotFoundError('Institution');
        if (institution.status !== 'active') {
          throw new ConflictError('A suspended institution cannot register items', 'INSTITUTION_SUSPENDED');
        }
        const custodians = await checkCustodians(tx, institutionId, custodianIds);
        const at = now();
        const row = await insertItem(tx, {
          institutionId,
          status: me.role === 'researcher' ? 'submitted' : 'endorsed',
          submittedBy,
          custodianIds: custodians,
          body,
          now: at,
        });
        const created = presentItem(row, custodians);
        await appendAudit(
          tx,
          { ...auditActor(me), action: 'item.create', subject: `item:${row.id}`, data: { institutionId, after: created } },
          at,
        );
        return {
          status: 201,
          body: created,
          headers: { location: `/v1/items/${row.id}`, etag: etagOf(row.version) },
        };
      });
    },

    /** One page of the items in the caller's scope, from the read replica when there is one. */
    async list(me: Principal, filters: ItemFilters, after: string | undefined, limit: number) {
      const rows = await listItems(readDb, me, filters, { after, limit });
      const page = paginate(rows, limit, (r) => r.id);
      const custodians = await custodiansOf(
        readDb,
        page.items.map((r) => r.id),
      );
      return { items: page.items.map((r) => presentItem(r, custodians.get(r.id) ?? [])), nextCursor: page.nextCursor };
    },

    async read(me: Principal, id: string): Promise<{ item: ItemView; version: number }> {
      const { item, custodians } = await visible(db, me, id, false);
      return { item: presentItem(item, custodians), version: item.version };
    },

    /**
     * Name, description and custodians. A researcher changes the name and description of
     * an item they submitted while it is still submitted; a revoked item is final.
     */
    async update(me: Principal, id: string, body: UpdateItemBody, ifMatch: Precondition): Promise<{ item: ItemView; version: number }> {
      const result = await db.transaction(async (tx) => {
        const { item: before, custodians } = await visible(tx, me, id, true);
        if (me.role === 'researcher') {
          if (before.submittedBy !== me.researcherId || before.status !== 'submitted') {
            throw new ForbiddenError('A researcher may change only an item they submitted, while it is still submitted');
          }
          if (body.custodianIds !== undefined) {
            throw new ForbiddenError('Only the institution can change the custodians of an item');
          }
        }
        if (before.status === 'revoked') throw new ConflictError('A revoked item cannot be changed', 'ITEM_REVOKED');
        ifMatch(before.version);

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

        const at = now();
        const row = await updateItem(tx, before, changes, at);
        if (custodiansChanged) await replaceCustodians(tx, before.id, nextCustodians, at);

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
            ...auditActor(me),
            action: 'item.update',
            subject: `item:${before.id}`,
            data: { institutionId: before.institutionId, before: beforeData, after: afterData },
          },
          at,
        );
        return { row, custodians: nextCustodians };
      });
      return { item: presentItem(result.row, result.custodians), version: result.row.version };
    },

    /**
     * Moves one item along the workflow (ITEM_TRANSITIONS) in one transaction with its
     * audit event. `ifMatch` is checked when the request sent one.
     */
    async transition(
      me: Principal,
      id: string,
      action: ItemAction,
      change: ItemChange,
      ifMatch: Precondition | undefined,
      once: Once,
    ): Promise<ItemView> {
      const transition = ITEM_TRANSITIONS[action];
      return once(db, async (tx) => {
        if (change.validUntil !== undefined) {
          // Border date (UTC+08:00): the last day of an approval may be today, never yesterday.
          const today = borderDate(now());
          if (change.validUntil < today) {
            throw new ValidationError([
              { path: 'validUntil', message: `must not be in the past (today at the border is ${today})` },
            ]);
          }
        }
        const { item: before, custodians } = await visible(tx, me, id, true);
        ifMatch?.(before.version);
        if (!allowedFrom(transition, before.status)) {
          throw new ConflictError(
            `Cannot ${action} an item that is ${before.status}` +
              (action === 'revoke' ? '' : `; ${action} applies to ${transition.from.join(' or ')} items`),
            'INVALID_TRANSITION',
          );
        }
        const at = now();
        const to = transition.to;
        const keepsReason = to === 'rejected' || to === 'suspended' || to === 'revoked';
        const changes: ItemChanges = {
          status: to,
          statusReason: keepsReason ? (change.reason ?? null) : null,
          ...(change.validUntil !== undefined ? { validUntil: change.validUntil } : {}),
        };
        const row = await updateItem(tx, before, changes, at);
        await appendAudit(
          tx,
          {
            ...auditActor(me),
            action: `item.${action}`,
            subject: `item:${before.id}`,
            data: {
              institutionId: before.institutionId,
              ...(change.reason !== undefined ? { reason: change.reason } : {}),
              ...(action === 'approve' && before.status === 'approved' ? { renewal: true } : {}),
              before: workflowState(before),
              after: workflowState(row),
            },
          },
          at,
        );
        return { status: 200, body: presentItem(row, custodians), headers: { etag: etagOf(row.version) } };
      });
    },
  };
}

export type ItemService = ReturnType<typeof itemService>;
