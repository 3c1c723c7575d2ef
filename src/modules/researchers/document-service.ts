import type { Conn, Db, Tx } from '../../db/client.js';
import { borderDate } from '../../domain/border.js';
import type { Principal } from '../../domain/scope.js';
import { allowedFrom, DOCUMENT_TRANSITIONS } from '../../domain/statuses.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import {
  approveDocuments,
  assertDocumentsFree,
  deleteDocument,
  documentRow,
  documentsOf,
  insertDocument,
  rejectDocument,
  translateDocumentRace,
} from './document-queries.js';
import { auditDocument, presentResearcher, type ResearcherRow } from './present.js';
import { touchResearcher } from './queries.js';
import { checkDocument } from './rules.js';
import type { DocumentInput } from './schemas.js';

const MAX_DOCUMENTS = 10;

/** The HTTP layer's If-Match check, run on the version read under the row's lock. */
export type VersionCheck = (current: number) => void;

/** What the researcher routes answer: the researcher as presented, and its version for the ETag. */
export interface ResearcherView {
  view: ReturnType<typeof presentResearcher>;
  version: number;
}

export interface DocumentWorkflowDeps {
  db: Db;
  now: () => Date;
  /** The researcher, locked, if the caller may see and manage it (a 404 otherwise). */
  loadScoped(conn: Conn, me: Principal, id: string, forUpdate: boolean, manage?: boolean): Promise<ResearcherRow>;
  audit(conn: Conn, me: Principal, action: string, r: ResearcherRow, data: Record<string, unknown>): Promise<unknown>;
}

function assertNotRevoked(r: ResearcherRow): void {
  if (r.status === 'revoked') throw new ConflictError('A revoked researcher does not change', 'RESEARCHER_REVOKED');
}

/** A researcher's identity documents: add, remove, and a supervisor's vetting (DOCUMENT_TRANSITIONS). */
export function documentWorkflow({ db, now, loadScoped, audit }: DocumentWorkflowDeps) {
  /** The locked researcher and its documents, with the one named (404 when it is not theirs). */
  async function loadDocument(tx: Tx, me: Principal, id: string, documentId: string, checkVersion: VersionCheck) {
    const before = await loadScoped(tx, me, id, true, true);
    checkVersion(before.version);
    assertNotRevoked(before);
    const docs = (await documentsOf(tx, [before.id])).get(before.id) ?? [];
    const doc = docs.find((d) => d.id === documentId);
    if (!doc) throw new NotFoundError('Identity document');
    return { before, docs, doc };
  }

  return {
    /** A document added in the caller's (idempotent) transaction: `pending` until a supervisor approves it. */
    async addDocument(tx: Tx, me: Principal, id: string, doc: DocumentInput, checkVersion: VersionCheck): Promise<ResearcherView & { documentId: string }> {
      try {
        const before = await loadScoped(tx, me, id, true, true);
        checkVersion(before.version);
        assertNotRevoked(before);
        const at = now();
        const errors = checkDocument(doc, borderDate(at), before.dateOfBirth, '');
        if (errors.length > 0) throw new ValidationError(errors);
        const existing = (await documentsOf(tx, [before.id])).get(before.id) ?? [];
        if (existing.length >= MAX_DOCUMENTS) {
          throw new ConflictError(`A researcher has at most ${MAX_DOCUMENTS} identity documents: remove one first`, 'TOO_MANY_DOCUMENTS');
        }
        await assertDocumentsFree(tx, before.institutionId, [doc], () => 'number');
        const row = documentRow(before.id, before.institutionId, doc, at);
        await insertDocument(tx, row);
        const after = await touchResearcher(tx, before.id, before.version, at);
        await audit(tx, me, 'researcher.document_add', after, { document: auditDocument(row) });
        return { view: presentResearcher(after, [...existing, row], borderDate(at)), version: after.version, documentId: row.id };
      } catch (err) {
        throw translateDocumentRace(err);
      }
    },

    /** A supervisor approves a pending document, or rejects one (with a reason). */
    async vetDocument(
      action: keyof typeof DOCUMENT_TRANSITIONS,
      me: Principal,
      id: string,
      documentId: string,
      reason: string | undefined,
      checkVersion: VersionCheck,
    ): Promise<ResearcherView> {
      const t = DOCUMENT_TRANSITIONS[action];
      const result = await db.transaction(async (tx) => {
        const { before, docs, doc } = await loadDocument(tx, me, id, documentId, checkVersion);
        if (!allowedFrom(t, doc.status)) {
          throw new ConflictError(`A document that is ${doc.status} cannot be ${action === 'approve' ? 'approved' : 'rejected'}`, 'INVALID_TRANSITION');
        }
        const [changed] = action === 'approve' ? await approveDocuments(tx, [doc], () => 'documentId') : [await rejectDocument(tx, doc.id, reason!)];
        const after = await touchResearcher(tx, before.id, before.version, now());
        await audit(tx, me, `researcher.document_${action}`, after, {
          ...(reason !== undefined ? { reason } : {}),
          document: auditDocument(changed!),
          before: { status: doc.status },
        });
        return { row: after, docs: docs.map((d) => (d.id === changed!.id ? changed! : d)) };
      });
      return { view: presentResearcher(result.row, result.docs, borderDate(now())), version: result.row.version };
    },

    /** The last document of a researcher stays (LAST_DOCUMENT). */
    async removeDocument(me: Principal, id: string, documentId: string, checkVersion: VersionCheck): Promise<ResearcherView> {
      const result = await db.transaction(async (tx) => {
        const { before, docs, doc } = await loadDocument(tx, me, id, documentId, checkVersion);
        if (docs.length === 1) {
          throw new ConflictError('A researcher keeps at least one identity document: add the new one first', 'LAST_DOCUMENT');
        }
        await deleteDocument(tx, doc.id);
        const after = await touchResearcher(tx, before.id, before.version, now());
        await audit(tx, me, 'researcher.document_remove', after, { document: auditDocument(doc) });
        return { row: after, docs: docs.filter((d) => d.id !== doc.id) };
      });
      return { view: presentResearcher(result.row, result.docs, borderDate(now())), version: result.row.version };
    },
  };
}
