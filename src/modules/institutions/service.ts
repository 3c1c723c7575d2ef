import { appendAudit } from '../../audit/chain.js';
import { actorOf } from '../../auth/principal.js';
import type { Conn, Db, Tx } from '../../db/client.js';
import { sqlState, violatedConstraint } from '../../db/errors.js';
import type { Principal } from '../../domain/scope.js';
import { allowedFrom, INSTITUTION_TRANSITIONS, type InstitutionAction } from '../../domain/statuses.js';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../errors.js';
import { decodeCursor, encodeCursor, isUuid } from '../../http/pagination.js';
import { auditInstitution, type InstitutionRow, presentInstitution } from './present.js';
import {
  assertRegistrationFree,
  getInstitution,
  type InstitutionFilter,
  insertInstitution,
  listInstitutions,
  type NewInstitution,
  registrationConflict,
  updateInstitution,
} from './queries.js';

export interface InstitutionServiceDeps {
  db: Db;
  /** Lists may be served by a read replica. */
  readDb: Db;
  now: () => Date;
}

/** The HTTP layer's If-Match check, run on the version read under the row's lock. */
export type VersionCheck = (current: number) => void;

/** What the institution routes answer: the institution as presented, and its version for the ETag. */
export interface InstitutionView {
  view: ReturnType<typeof presentInstitution>;
  version: number;
}

export type InstitutionChanges = Partial<Omit<NewInstitution, 'nameZh'>> & { nameZh?: string | null | undefined };

/** A concurrent registration of the same (side, registration number) loses with the same 409. */
function translateRegistrationRace(err: unknown, side: string): unknown {
  return sqlState(err) === '23505' && violatedConstraint(err) === 'institutions_side_registration_uq' ? registrationConflict(side) : err;
}

const viewOf = (row: InstitutionRow): InstitutionView => ({ view: presentInstitution(row), version: row.version });

/** Institutions: registration (supervisors), reads in scope, corrections, suspension and reinstatement. */
export function institutionService({ db, readDb, now }: InstitutionServiceDeps) {
  const audit = (conn: Conn, me: Principal, action: string, id: string, data: Record<string, unknown>, at: Date) =>
    appendAudit(conn, { actor: actorOf(me), role: me.role, action, subject: `institution:${id}`, data }, at);

  return {
    /** A registration, in the caller's (idempotent) transaction. */
    async create(tx: Tx, me: Principal, body: NewInstitution): Promise<InstitutionView> {
      try {
        await assertRegistrationFree(tx, body.side, body.registrationNumber);
        const at = now();
        const row = await insertInstitution(tx, body, at);
        await audit(tx, me, 'institution.create', row.id, { after: auditInstitution(row) }, at);
        return viewOf(row);
      } catch (err) {
        throw translateRegistrationRace(err, body.side);
      }
    },

    /** Supervisors see all; an institution admin its own only. */
    async list(me: Principal, query: Omit<InstitutionFilter, 'onlyId' | 'after'> & { cursor?: string | undefined }) {
      const { limit, cursor, side, status, kind } = query;
      const after = decodeCursor(cursor, isUuid);
      const rows = await listInstitutions(readDb, {
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

    async read(me: Principal, id: string): Promise<InstitutionView> {
      if (me.role !== 'supervisor' && me.institutionId !== id) throw new NotFoundError('Institution');
      return viewOf(await getInstitution(db, id));
    },

    /** A correction of name, nameZh, side, kind or registration number. */
    async update(me: Principal, id: string, body: InstitutionChanges, checkVersion: VersionCheck): Promise<InstitutionView> {
      let side = body.side ?? 'HK';
      try {
        const row = await db.transaction(async (tx) => {
          const before = await getInstitution(tx, id, true);
          checkVersion(before.version);
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
          const after = await updateInstitution(tx, before.id, before.version, changes, now());
          if (!after) throw new PreconditionFailedError();
          const data = { before: auditInstitution(before), after: auditInstitution(after), changed: Object.keys(changes) };
          await audit(tx, me, 'institution.update', before.id, data, now());
          return after;
        });
        return viewOf(row);
      } catch (err) {
        throw translateRegistrationRace(err, side);
      }
    },

    /** suspend (with a reason) or reinstate: INSTITUTION_TRANSITIONS. */
    async transition(action: InstitutionAction, me: Principal, id: string, reason: string | undefined, checkVersion: VersionCheck): Promise<InstitutionView> {
      const t = INSTITUTION_TRANSITIONS[action];
      const row = await db.transaction(async (tx) => {
        const before = await getInstitution(tx, id, true);
        checkVersion(before.version);
        if (!allowedFrom(t, before.status)) {
          throw new ConflictError(
            `The institution is ${before.status}: it cannot be ${action === 'suspend' ? 'suspended' : 'reinstated'}`,
            'INVALID_TRANSITION',
          );
        }
        const at = now();
        const changes = { status: t.to, statusReason: action === 'suspend' ? (reason ?? null) : null };
        const after = await updateInstitution(tx, before.id, before.version, changes, at);
        if (!after) throw new PreconditionFailedError();
        const data = { ...(reason !== undefined ? { reason } : {}), before: auditInstitution(before), after: auditInstitution(after) };
        await audit(tx, me, `institution.${action}`, before.id, data, at);
        return after;
      });
      return viewOf(row);
    },
  };
}

export type InstitutionService = ReturnType<typeof institutionService>;
