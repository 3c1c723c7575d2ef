import { and, asc, eq, gt, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Conn, queryRows } from '../../db/client.js';
import { sqlState, violatedConstraint } from '../../db/errors.js';
import { identityDocuments, researchers } from '../../db/schema.js';
import { ConflictError, type FieldError } from '../../errors.js';
import { decodeCursor, encodeCursor, isUuid } from '../../http/pagination.js';
import { uuidv7 } from '../../lib/ids.js';
import { countryKeyOf, documentKey } from './rules.js';
import type { DocumentInput, ReportedResearcherStatus, ResearcherInput } from './schemas.js';

export type ResearcherRow = typeof researchers.$inferSelect;
export type DocumentRow = typeof identityDocuments.$inferSelect;

/** Rows per bulk insert statement. */
const INSERT_CHUNK = 2000;
/** How close a query must come to one stretch of the name (pg_trgm word_similarity, 0–1). */
const WORD_SIMILARITY_MIN = 0.45;
/** Document keys per duplicate look-up (3 parameters each). */
const LOOKUP_CHUNK = 5000;

// ---- presentation ----------------------------------------------------------------

/** `expired` is computed: approved, and validUntil (inclusive) before today at the border. */
export function reportedStatus(r: Pick<ResearcherRow, 'status' | 'validUntil'>, today: string): ReportedResearcherStatus {
  if (r.status === 'approved' && r.validUntil !== null && r.validUntil < today) return 'expired';
  return r.status;
}

export function presentDocument(d: DocumentRow) {
  return {
    id: d.id,
    kind: d.kind,
    number: d.number,
    issuingCountry: d.issuingCountry,
    expiresOn: d.expiresOn,
    status: d.status,
    statusReason: d.statusReason,
  };
}

export function presentResearcher(r: ResearcherRow, docs: DocumentRow[], today: string) {
  return {
    id: r.id,
    institutionId: r.institutionId,
    fullName: r.fullName,
    nameZh: r.nameZh,
    dateOfBirth: r.dateOfBirth,
    nationality: r.nationality,
    email: r.email,
    status: reportedStatus(r, today),
    statusReason: r.statusReason,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    documents: docs.map(presentDocument),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Document numbers are identifiers of a person and the audit log keeps them forever: only their tail. */
export function maskNumber(n: string): string {
  return n.length <= 4 ? '*'.repeat(n.length) : `${'*'.repeat(n.length - 3)}${n.slice(-3)}`;
}

export function auditDocument(d: Pick<DocumentRow, 'id' | 'kind' | 'number' | 'issuingCountry' | 'expiresOn' | 'status'>) {
  return { id: d.id, kind: d.kind, number: maskNumber(d.number), issuingCountry: d.issuingCountry, expiresOn: d.expiresOn, status: d.status };
}

/** What the audit log records of a researcher: the stored state, document numbers masked. */
export function auditResearcher(r: ResearcherRow, docs?: DocumentRow[]) {
  return {
    id: r.id,
    institutionId: r.institutionId,
    fullName: r.fullName,
    nameZh: r.nameZh,
    dateOfBirth: r.dateOfBirth,
    nationality: r.nationality,
    email: r.email,
    status: r.status,
    statusReason: r.statusReason,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    version: r.version,
    ...(docs ? { documents: docs.map(auditDocument) } : {}),
  };
}

// ---- reads -------------------------------------------------------------------------

export async function findResearcher(conn: Conn, id: string, forUpdate = false): Promise<ResearcherRow | undefined> {
  const q = conn.select().from(researchers).where(eq(researchers.id, id)).limit(1);
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

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

// ---- writes ------------------------------------------------------------------------

export interface CreatedResearcher {
  researcher: ResearcherRow;
  documents: DocumentRow[];
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

/**
 * Inserts nominated researchers and their documents with multi-row inserts in
 * chunks. The caller has validated everything and checked the documents are free.
 */
export async function insertResearchers(
  conn: Conn,
  institutionId: string,
  inputs: ResearcherInput[],
  now: Date,
  onProgress?: (done: number, total: number) => void,
): Promise<CreatedResearcher[]> {
  const created: CreatedResearcher[] = inputs.map((input) => {
    const id = uuidv7();
    const researcher: ResearcherRow = {
      id,
      institutionId,
      fullName: input.fullName,
      nameZh: input.nameZh ?? null,
      dateOfBirth: input.dateOfBirth,
      nationality: input.nationality,
      email: input.email,
      status: 'nominated',
      statusReason: null,
      validFrom: null,
      validUntil: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return { researcher, documents: input.documents.map((d) => documentRow(id, institutionId, d, now)) };
  });
  if (created.length === 1) {
    // One researcher (a nomination): plain inserts.
    await conn.insert(researchers).values(created[0]!.researcher);
    await conn.insert(identityDocuments).values(created[0]!.documents);
    onProgress?.(1, 1);
    return created;
  }
  // Bulk: chunks of rows, each sent as one jsonb parameter and expanded by
  // jsonb_to_recordset — clear of the 65,535-parameter cap of a statement, and far
  // cheaper to build and parse than 28,000 bind parameters.
  for (let i = 0; i < created.length; i += INSERT_CHUNK) {
    const chunk = created.slice(i, i + INSERT_CHUNK);
    const rs = chunk.map(({ researcher: r }) => ({
      id: r.id,
      institution_id: r.institutionId,
      full_name: r.fullName,
      name_zh: r.nameZh,
      date_of_birth: r.dateOfBirth,
      nationality: r.nationality,
      email: r.email,
    }));
    const at = now.toISOString();
    await conn.execute(sql`
      insert into researchers (id, institution_id, full_name, name_zh, date_of_birth, nationality, email, status, version, created_at, updated_at)
      select id, institution_id, full_name, name_zh, date_of_birth, nationality, email, 'nominated', 1, ${at}::timestamptz, ${at}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(rs)}::jsonb)
        as x(id uuid, institution_id uuid, full_name text, name_zh text, date_of_birth date, nationality text, email text)`);
    const ds = chunk.flatMap((c) =>
      c.documents.map((d) => ({
        id: d.id,
        researcher_id: d.researcherId,
        institution_id: d.institutionId,
        kind: d.kind,
        number: d.number,
        issuing_country: d.issuingCountry,
        country_key: d.countryKey,
        expires_on: d.expiresOn,
      })),
    );
    await conn.execute(sql`
      insert into identity_documents (id, researcher_id, institution_id, kind, number, issuing_country, country_key, expires_on, status, created_at)
      select id, researcher_id, institution_id, kind, number, issuing_country, country_key, expires_on, 'pending', ${at}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(ds)}::jsonb)
        as x(id uuid, researcher_id uuid, institution_id uuid, kind text, number text, issuing_country text, country_key text, expires_on date)`);
    onProgress?.(Math.min(i + INSERT_CHUNK, created.length), created.length);
  }
  return created;
}

// ---- lists and search ----------------------------------------------------------------

export function statusCondition(status: ReportedResearcherStatus | undefined, today: string): SQL | undefined {
  if (status === undefined) return undefined;
  if (status === 'expired') return and(eq(researchers.status, 'approved'), lt(researchers.validUntil, today));
  if (status === 'approved') {
    return and(eq(researchers.status, 'approved'), or(isNull(researchers.validUntil), sql`${researchers.validUntil} >= ${today}`));
  }
  return eq(researchers.status, status);
}

export interface ListOptions {
  status?: ReportedResearcherStatus | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

const isIdCursor = isUuid;
const isRankCursor = (v: unknown): v is [string, string] =>
  Array.isArray(v) &&
  v.length === 2 &&
  typeof v[0] === 'string' &&
  /^\d{1,3}(\.\d{1,9})?$/.test(v[0]) &&
  isUuid(v[1]);

/**
 * One page of researchers: of one institution, or of all when `institutionId` is
 * undefined (the supervisor's queue). Without `q`: by id (creation order).
 * With `q`: ranked by similarity, best first. Latin names are matched with pg_trgm
 * on lower(full_name) (similarity `%`, word similarity, or a plain substring),
 * so typos still match; Chinese names by substring (strpos) on name_zh, since
 * pg_trgm forms no trigrams of CJK characters under a C locale.
 */
export async function listResearchers(
  conn: Conn,
  institutionId: string | undefined,
  opts: ListOptions,
  today: string,
): Promise<{ rows: (ResearcherRow & { score?: number })[]; nextCursor: string | null }> {
  const base = and(
    institutionId !== undefined ? eq(researchers.institutionId, institutionId) : undefined,
    statusCondition(opts.status, today),
  );
  if (opts.q === undefined) {
    const after = decodeCursor(opts.cursor, isIdCursor);
    const rows = await conn
      .select()
      .from(researchers)
      .where(and(base, after !== undefined ? gt(researchers.id, after) : undefined))
      .orderBy(asc(researchers.id))
      .limit(opts.limit + 1);
    const more = rows.length > opts.limit;
    const page = more ? rows.slice(0, opts.limit) : rows;
    return { rows: page, nextCursor: more ? encodeCursor(page[page.length - 1]!.id) : null };
  }

  const latin = opts.q.normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase();
  const zh = opts.q.normalize('NFC').replace(/\s+/gu, '');
  const name = sql`lower(${researchers.fullName})`;
  const zhHit = sql`(${researchers.nameZh} is not null and strpos(${researchers.nameZh}, ${zh}) > 0)`;
  const score = sql`round(greatest(
      similarity(${name}, ${latin}),
      word_similarity(${latin}, ${name}),
      case when strpos(${name}, ${latin}) > 0 then 0.5 else 0 end,
      case when ${zhHit} then 0.5 + 0.5 * char_length(${zh})::float8 / greatest(char_length(${researchers.nameZh}), 1) else 0 end
    )::numeric, 6)`;
  // `%` (similarity ≥ 0.3) can use the trigram index; a word similarity of 0.45 also
  // catches a transposed letter in a short word ("SMIHT" for "SMITH JOHN").
  const matches = sql`(${name} % ${latin} or word_similarity(${latin}, ${name}) >= ${WORD_SIMILARITY_MIN} or strpos(${name}, ${latin}) > 0 or ${zhHit})`;
  const after = decodeCursor(opts.cursor, isRankCursor);
  const rows = await conn
    .select({ researcher: researchers, score: sql<string>`(${score})::text` })
    .from(researchers)
    .where(
      and(
        base,
        matches,
        after !== undefined
          ? sql`(${score} < ${after[0]}::numeric or (${score} = ${after[0]}::numeric and ${researchers.id} > ${after[1]}))`
          : undefined,
      ),
    )
    .orderBy(sql`${score} desc`, asc(researchers.id))
    .limit(opts.limit + 1);
  const more = rows.length > opts.limit;
  const page = more ? rows.slice(0, opts.limit) : rows;
  const last = page[page.length - 1];
  return {
    rows: page.map((r) => ({ ...r.researcher, score: Number(r.score) })),
    nextCursor: more && last ? encodeCursor([last.score, last.researcher.id]) : null,
  };
}

/** A page of researchers as the lists answer it: each with its documents, and `score` when searched. */
export async function researcherPage(conn: Conn, institutionId: string | undefined, opts: ListOptions, today: string) {
  const { rows, nextCursor } = await listResearchers(conn, institutionId, opts, today);
  const docs = await documentsOf(conn, rows.map((r) => r.id));
  return {
    items: rows.map((r) => ({
      ...presentResearcher(r, docs.get(r.id) ?? [], today),
      ...(r.score !== undefined ? { score: r.score } : {}),
    })),
    nextCursor,
  };
}
