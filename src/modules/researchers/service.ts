import { appendAudit } from '../../audit/chain.js';
import { actorOf } from '../../auth/principal.js';
import { assertManagesInstitution } from '../../auth/scope.js';
import type { Conn, Db, Tx } from '../../db/client.js';
import { borderDate } from '../../domain/border.js';
import { canManageResearcher, canSeeResearcher, type Principal } from '../../domain/scope.js';
import { allowedFrom, RESEARCHER_TRANSITIONS, type ResearcherAction } from '../../domain/statuses.js';
import { ConflictError, type FieldError, NotFoundError, PreconditionFailedError, ValidationError } from '../../errors.js';
import { getActiveInstitution, getInstitution } from '../institutions/queries.js';
import { approveDocuments, assertDocumentsFree, documentsOf, otherHolders, revokeDocuments, translateDocumentRace } from './document-queries.js';
import { documentWorkflow, type ResearcherView, type VersionCheck } from './document-service.js';
import { importResearchers } from './import.js';
import { auditResearcher, presentResearcher, type ResearcherRow } from './present.js';
import { findResearcher, insertResearchers, updateResearcher } from './queries.js';
import { checkDateOfBirth, checkResearcher, prcIdBirthDate } from './rules.js';
import type { ResearcherInput, ResearcherUpdate } from './schemas.js';
import { type ListOptions, listResearchers } from './search-queries.js';

export type { ResearcherView, VersionCheck };

export interface ResearcherServiceDeps {
  db: Db;
  /** Lists may be served by a read replica. */
  readDb: Db;
  now: () => Date;
}

export interface WorkflowInput {
  reason?: string | undefined;
  validFrom?: string | undefined;
  validUntil?: string | undefined;
}

/** Fields that identify the person: once customs has vetted them, only a supervisor corrects them. */
const IDENTITY_FIELDS = ['fullName', 'dateOfBirth', 'nationality'] as const;

function invalidTransition(action: ResearcherAction, status: string): ConflictError {
  const done = action === 'approve' ? 'approved' : `${action}${action.endsWith('e') ? 'd' : 'ed'}`;
  return new ConflictError(`A researcher who is ${status} cannot be ${done}`, 'INVALID_TRANSITION');
}

/** The researcher workflow: nomination, import, reads, updates, the status actions and identity documents. */
export function researcherService({ db, readDb, now }: ResearcherServiceDeps) {
  const today = () => borderDate(now());

  /** A researcher outside the caller's scope is the same 404 as one that does not exist. */
  async function loadScoped(conn: Conn, me: Principal, id: string, forUpdate: boolean, manage = false): Promise<ResearcherRow> {
    const row = await findResearcher(conn, id, forUpdate);
    if (!row || !canSeeResearcher(me, row) || (manage && !canManageResearcher(me, row))) throw new NotFoundError('Researcher');
    return row;
  }

  const audit = (conn: Conn, me: Principal, action: string, r: ResearcherRow, data: Record<string, unknown>) =>
    appendAudit(conn, { actor: actorOf(me), role: me.role, action, subject: `researcher:${r.id}`, data }, now());

  async function present(conn: Conn, row: ResearcherRow) {
    const docs = (await documentsOf(conn, [row.id])).get(row.id) ?? [];
    return { view: presentResearcher(row, docs, today()), docs };
  }

  /** A page of researchers as the lists answer it: each with its documents, and `score` when searched. */
  async function page(institutionId: string | undefined, opts: ListOptions) {
    if (institutionId !== undefined) await getInstitution(readDb, institutionId);
    const day = today();
    const { rows, nextCursor } = await listResearchers(readDb, institutionId, opts, day);
    const docs = await documentsOf(readDb, rows.map((r) => r.id));
    return {
      items: rows.map((r) => ({
        ...presentResearcher(r, docs.get(r.id) ?? [], day),
        ...(r.score !== undefined ? { score: r.score } : {}),
      })),
      nextCursor,
    };
  }

  return {
    /** A nomination, in the caller's (idempotent) transaction: the researcher `nominated`, its documents `pending`. */
    async nominate(tx: Tx, me: Principal, institutionId: string, body: ResearcherInput): Promise<ResearcherView> {
      try {
        await getActiveInstitution(tx, institutionId);
        const at = now();
        const errors = checkResearcher(body, borderDate(at));
        if (errors.length > 0) throw new ValidationError(errors);
        await assertDocumentsFree(tx, institutionId, body.documents, (i) => `documents.${i}.number`);
        const [created] = await insertResearchers(tx, institutionId, [body], at);
        const { researcher, documents } = created!;
        await audit(tx, me, 'researcher.nominate', researcher, { after: auditResearcher(researcher, documents) });
        return { view: presentResearcher(researcher, documents, borderDate(at)), version: researcher.version };
      } catch (err) {
        throw translateDocumentRace(err);
      }
    },

    /** The bulk import (JSON rows or CSV text), in the caller's (idempotent) transaction: all rows or none. */
    importRows(tx: Tx, me: Principal, institutionId: string, body: string | unknown[]) {
      return importResearchers(tx, typeof body === 'string' ? { kind: 'csv', text: body } : { kind: 'json', rows: body }, {
        institutionId,
        actor: actorOf(me),
        role: me.role,
        now: now(),
      });
    },

    /** One institution's researchers, listed or searched. */
    async list(me: Principal, institutionId: string, opts: ListOptions) {
      assertManagesInstitution(me, institutionId);
      return page(institutionId, opts);
    },

    /** Across institutions for a supervisor (the approval queue); an institution admin's own. */
    async queue(me: Principal, query: ListOptions & { institutionId?: string | undefined }) {
      const { institutionId, ...opts } = query;
      const scope = me.role === 'supervisor' ? institutionId : (institutionId ?? me.institutionId);
      if (scope !== undefined) assertManagesInstitution(me, scope);
      // An admin's token always names its institution; refuse rather than list everyone if it ever does not.
      if (scope === undefined && me.role !== 'supervisor') throw new NotFoundError('Institution');
      return page(scope, opts);
    },

    /** A supervisor also sees, on each document, the other researchers who registered it. */
    async read(me: Principal, id: string): Promise<ResearcherView> {
      const row = await loadScoped(db, me, id, false);
      const { view, docs } = await present(db, row);
      if (me.role !== 'supervisor') return { view, version: row.version };
      const holders = await otherHolders(db, docs);
      const documents = view.documents.map((d) => {
        const others = holders.get(d.id) ?? [];
        return others.length > 0 ? { ...d, otherHolders: others } : d;
      });
      return { view: { ...view, documents }, version: row.version };
    },

    /** A PATCH: a researcher changes only their email; identity fields lock once vetted (supervisors excepted). */
    async update(me: Principal, id: string, body: ResearcherUpdate, checkVersion: VersionCheck): Promise<ResearcherView> {
      const given = Object.keys(body) as (keyof ResearcherUpdate)[];
      if (me.role === 'researcher') {
        const refused = given.filter((k) => k !== 'email');
        if (refused.length > 0) {
          throw new ValidationError(
            refused.map((k) => ({ path: k, message: 'a researcher can change only their email; ask your institution to correct it' })),
          );
        }
      }
      const result = await db.transaction(async (tx) => {
        const before = await loadScoped(tx, me, id, true);
        checkVersion(before.version);
        const changes: Partial<ResearcherRow> = {};
        for (const k of given) {
          const value = body[k];
          if (value !== undefined && value !== before[k]) (changes as Record<string, unknown>)[k] = value;
        }
        const changed = Object.keys(changes);
        if (changed.length === 0) return before;
        if (before.status === 'revoked') throw new ConflictError('A revoked researcher does not change', 'RESEARCHER_REVOKED');
        if (me.role !== 'supervisor' && before.status !== 'nominated') {
          const locked = IDENTITY_FIELDS.filter((f) => f in changes);
          if (locked.length > 0) {
            throw new ConflictError(
              `Customs has vetted this researcher: ${locked.join(', ')} can now be corrected by a supervisor only`,
              'IDENTITY_LOCKED',
              locked.map((f) => ({ path: f, message: 'is locked after vetting' })),
            );
          }
        }
        const docs = (await documentsOf(tx, [before.id])).get(before.id) ?? [];
        if (changes.dateOfBirth !== undefined) {
          const errors: FieldError[] = checkDateOfBirth(changes.dateOfBirth, today());
          if (docs.some((d) => d.kind === 'prc_id' && prcIdBirthDate(d.number) !== changes.dateOfBirth)) {
            errors.push({ path: 'dateOfBirth', message: 'does not match the birth date inside the registered PRC ID' });
          }
          if (errors.length > 0) throw new ValidationError(errors);
        }
        const after = await updateResearcher(tx, before.id, before.version, changes, now());
        if (!after) throw new PreconditionFailedError();
        await audit(tx, me, 'researcher.update', after, { changed, before: auditResearcher(before), after: auditResearcher(after) });
        return after;
      });
      return { view: (await present(db, result)).view, version: result.version };
    },

    /** approve (or renew), reject, suspend, reinstate, revoke: RESEARCHER_TRANSITIONS. */
    async transition(action: ResearcherAction, me: Principal, id: string, input: WorkflowInput, checkVersion: VersionCheck): Promise<ResearcherView> {
      const t = RESEARCHER_TRANSITIONS[action];
      const row = await db.transaction(async (tx) => {
        const before = await loadScoped(tx, me, id, true, true);
        checkVersion(before.version);
        if (!allowedFrom(t, before.status)) throw invalidTransition(action, before.status);
        const at = now();
        const day = borderDate(at);
        const changes: Partial<ResearcherRow> = { status: t.to, statusReason: input.reason ?? null };
        let renewal = false;
        const documentChanges: { id: string; status: string }[] = [];
        if (action === 'approve') {
          const validFrom = input.validFrom ?? day;
          const validUntil = input.validUntil!;
          const errors: FieldError[] = [];
          if (validUntil < day) errors.push({ path: 'validUntil', message: 'is in the past' });
          else if (validUntil < validFrom) errors.push({ path: 'validUntil', message: 'must be on or after validFrom' });
          if (errors.length > 0) throw new ValidationError(errors);
          await getActiveInstitution(tx, before.institutionId).catch((err: unknown) => {
            if (err instanceof ConflictError) {
              throw new ConflictError('The institution is suspended: its researchers cannot be approved', 'INSTITUTION_SUSPENDED');
            }
            throw err;
          });
          const docs = (await documentsOf(tx, [before.id])).get(before.id) ?? [];
          if (!docs.some((d) => d.expiresOn >= day && d.status !== 'rejected')) {
            throw new ConflictError('Every identity document of this researcher has expired or was rejected: add a valid one first', 'NO_VALID_DOCUMENT');
          }
          changes.validFrom = validFrom;
          changes.validUntil = validUntil;
          renewal = before.status === 'approved';
          // A nomination is vetted with its documents; documents added later are approved one by one.
          if (!renewal) {
            const approved = await approveDocuments(tx, docs.filter((d) => d.status === 'pending'), (d) => `documents.${docs.indexOf(d)}.number`);
            documentChanges.push(...approved.map((d) => ({ id: d.id, status: d.status })));
          }
        }
        if (action === 'revoke') {
          const revoked = await revokeDocuments(tx, before.id);
          documentChanges.push(...revoked.map((d) => ({ id: d.id, status: d.status })));
        }
        const after = await updateResearcher(tx, before.id, before.version, changes, at);
        if (!after) throw new PreconditionFailedError();
        await audit(tx, me, `researcher.${action}`, after, {
          ...(input.reason !== undefined ? { reason: input.reason } : {}),
          ...(renewal ? { renewal: true } : {}),
          ...(documentChanges.length > 0 ? { documents: documentChanges } : {}),
          before: auditResearcher(before),
          after: auditResearcher(after),
        });
        return after;
      });
      return { view: (await present(db, row)).view, version: row.version };
    },

    ...documentWorkflow({ db, now, loadScoped, audit }),
  };
}

export type ResearcherService = ReturnType<typeof researcherService>;
