import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { type Conn, queryRows } from '../../db/client.js';
import { sqlState, violatedConstraint } from '../../db/errors.js';
import { identityDocuments } from '../../db/schema.js';
import { ConflictError, type FieldError } from '../../errors.js';
import { uuidv7 } from '../../lib/ids.js';
import type { DocumentRow } from './present.js';
import { countryKeyOf, documentKey } from './rules.js';
import type { DocumentInput } from './schemas.js';

/** Document keys per duplicate look-up (3 parameters each). */
const LOOKUP_CHUNK = 5000;

export async function documentsOf(conn: Conn, researcherIds: string[]): Promise<Map<string, DocumentRow[]>> {
  const byResearcher = new Map<string, DocumentRow[]>(researcherIds.map((id) => [id, []]));
  if (researcherIds.length === 0) return byResearcher;
  const rows = await conn
    .select()
    .from(identityDocuments)
    .where(inArray(identityDocuments.researcherId, researcherIds))
    .orderBy(asc(identityDocuments.createdAt), asc(identityDocuments.id));
  for (const d of rows) byResearcher.get(d.researcherId)?.push(d);
  return byResearcher;
}

export interface DocumentKeyInput {
  kind: DocumentInput['kind'];
  number: string;
  countryKey: string;
}

/**
 * Which of these documents an institution already registered (any of its researchers, any status).
 * Other institutions' documents are not looked at: a nomination must not tell the caller
 * who else holds a document (the supervisor resolves that at approval).
 */
export async function registeredDocuments(conn: Conn, institutionId: string, keys: DocumentKeyInput[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const chunk = keys.slice(i, i + LOOKUP_CHUNK).map((k) => ({ kind: k.kind, number: k.number, country_key: k.countryKey }));
    // One jsonb parameter for the whole chunk: no parameter limit, one plan, an index join.
    const rows = await conn
      .select({ kind: identityDocuments.kind, number: identityDocuments.number, countryKey: identityDocuments.countryKey })
      .from(identityDocuments)
      .innerJoin(
        sql`jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as k(kind text, number text, country_key text)`,
        sql`${identityDocuments.institutionId} = ${institutionId}::uuid and ${identityDocuments.kind} = k.kind and ${identityDocuments.number} = k.number and ${identityDocuments.countryKey} = k.country_key`,
      );
    for (const r of rows) found.add(documentKey(r));
  }
  return found;
}

/** The 409 of a new researcher whose documents are already registered, naming each field. */
export async function assertDocumentsFree(
  conn: Conn,
  institutionId: string,
  docs: DocumentInput[],
  pathOf: (i: number) => string,
): Promise<void> {
  const keys = docs.map((d) => ({ kind: d.kind, number: d.number, countryKey: countryKeyOf(d.kind, d.issuingCountry) }));
  const taken = await registeredDocuments(conn, institutionId, keys);
  const errors: FieldError[] = [];
  keys.forEach((k, i) => {
    if (taken.has(documentKey(k))) errors.push({ path: pathOf(i), message: 'is already registered by your institution' });
  });
  if (errors.length > 0) throw documentConflict(errors);
}

export function documentConflict(errors: FieldError[]): ConflictError {
  return new ConflictError(
    errors.length === 1
      ? `${errors[0]!.path}: this document is already registered by your institution`
      : `${errors.length} documents are already registered by your institution`,
    'DOCUMENT_ALREADY_REGISTERED',
    errors,
  );
}

export function heldElsewhere(errors: FieldError[]): ConflictError {
  return new ConflictError(
    'Another researcher already holds this document on the whitelist: reject this document, or revoke the other holder first',
    'DOCUMENT_HELD_ELSEWHERE',
    errors,
  );
}

/**
 * A unique-index violation on identity documents (a concurrent writer got there first)
 * becomes the same 409 as the checked case.
 */
export function translateDocumentRace(err: unknown): unknown {
  if (sqlState(err) !== '23505') return err;
  const constraint = violatedConstraint(err);
  if (constraint === 'identity_documents_institution_uq') {
    return documentConflict([{ path: 'documents', message: 'a document is already registered by your institution' }]);
  }
  if (constraint === 'identity_documents_approved_uq') {
    return heldElsewhere([{ path: 'documents', message: 'another researcher holds an approved document with this number' }]);
  }
  return err;
}

/** A document's other holders, as a supervisor sees them: researchers elsewhere who registered the same document. */
export interface OtherHolder {
  documentId: string;
  researcherId: string;
  institutionId: string;
  status: DocumentRow['status'];
}

/** For each of these documents, the other researchers' documents with the same kind, number and issuer. */
export async function otherHolders(conn: Conn, docs: DocumentRow[]): Promise<Map<string, OtherHolder[]>> {
  const byDoc = new Map<string, OtherHolder[]>(docs.map((d) => [d.id, []]));
  if (docs.length === 0) return byDoc;
  const keys = docs.map((d) => ({ id: d.id, researcher_id: d.researcherId, kind: d.kind, number: d.number, country_key: d.countryKey }));
  const rows = await queryRows<{ for_id: string; id: string; researcher_id: string; institution_id: string; status: DocumentRow['status'] }>(
    conn,
    sql`select k.id as for_id, d.id, d.researcher_id, d.institution_id, d.status
          from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(id uuid, researcher_id uuid, kind text, number text, country_key text)
          join identity_documents d on d.kind = k.kind and d.number = k.number and d.country_key = k.country_key and d.researcher_id <> k.researcher_id
         order by d.created_at, d.id`,
  );
  for (const r of rows) {
    byDoc.get(r.for_id)?.push({ documentId: r.id, researcherId: r.researcher_id, institutionId: r.institution_id, status: r.status });
  }
  return byDoc;
}

/**
 * Approves documents (the caller has locked their researcher): refused with
 * DOCUMENT_HELD_ELSEWHERE, naming each, when another researcher holds one approved.
 */
export async function approveDocuments(conn: Conn, docs: DocumentRow[], pathOf: (d: DocumentRow) => string): Promise<DocumentRow[]> {
  if (docs.length === 0) return [];
  const holders = await otherHolders(conn, docs);
  const errors: FieldError[] = [];
  for (const d of docs) {
    if (holders.get(d.id)?.some((h) => h.status === 'approved')) {
      errors.push({ path: pathOf(d), message: 'another researcher holds this document, approved' });
    }
  }
  if (errors.length > 0) throw heldElsewhere(errors);
  try {
    return await conn
      .update(identityDocuments)
      .set({ status: 'approved', statusReason: null })
      .where(inArray(identityDocuments.id, docs.map((d) => d.id)))
      .returning();
  } catch (err) {
    throw translateDocumentRace(err);
  }
}


/** A new document: pending until customs approves it (with its nominated researcher, or on its own). */
export function documentRow(researcherId: string, institutionId: string, d: DocumentInput, now: Date): DocumentRow {
  return {
    id: uuidv7(),
    researcherId,
    institutionId,
    kind: d.kind,
    number: d.number,
    issuingCountry: d.issuingCountry,
    countryKey: countryKeyOf(d.kind, d.issuingCountry),
    expiresOn: d.expiresOn,
    status: 'pending',
    statusReason: null,
    createdAt: now,
  };
}

/** A document added to a researcher already registered. */
export async function insertDocument(conn: Conn, row: DocumentRow): Promise<void> {
  await conn.insert(identityDocuments).values(row);
}

export async function deleteDocument(conn: Conn, id: string): Promise<void> {
  await conn.delete(identityDocuments).where(eq(identityDocuments.id, id));
}

/** A revoked researcher's documents leave the whitelist with them (rejected ones stay rejected). */
export async function revokeDocuments(conn: Conn, researcherId: string): Promise<DocumentRow[]> {
  return conn
    .update(identityDocuments)
    .set({ status: 'revoked' })
    .where(and(eq(identityDocuments.researcherId, researcherId), inArray(identityDocuments.status, ['pending', 'approved'])))
    .returning();
}

/** A supervisor's rejection of one document. */
export async function rejectDocument(conn: Conn, id: string, reason: string): Promise<DocumentRow> {
  const [row] = await conn
    .update(identityDocuments)
    .set({ status: 'rejected', statusReason: reason })
    .where(eq(identityDocuments.id, id))
    .returning();
  return row!;
}

