import { and, asc, eq, gt, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Conn } from '../../db/client.js';
import { identityDocuments, researchers } from '../../db/schema.js';
import { ConflictError, type FieldError } from '../../errors.js';
import { sqlState } from '../../http/error-handler.js';
import { decodeCursor, encodeCursor, isUuid } from '../../http/pagination.js';
import { uuidv7 } from '../../lib/ids.js';
import { countryKeyOf, documentKey } from './rules.js';
import { violatedConstraint } from './validation.js';
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
  return { id: d.id, kind: d.kind, number: d.number, issuingCountry: d.issuingCountry, expiresOn: d.expiresOn };
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

export function auditDocument(d: Pick<DocumentRow, 'id' | 'kind' | 'number' | 'issuingCountry' | 'expiresOn'>) {
  return { id: d.id, kind: d.kind, number: maskNumber(d.number), issuingCountry: d.issuingCountry, expiresOn: d.expiresOn };
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

/** Which of these documents are already on the whitelist (any researcher, any institution). */
export async function registeredDocuments(conn: Conn, keys: DocumentKeyInput[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const chunk = keys.slice(i, i + LOOKUP_CHUNK).map((k) => ({ kind: k.kind, number: k.number, country_key: k.countryKey }));
    // One jsonb parameter for the whole chunk: no parameter limit, one plan, an index join.
    const rows = await conn
      .select({ kind: identityDocuments.kind, number: identityDocuments.number, countryKey: identityDocuments.countryKey })
      .from(identityDocuments)
      .innerJoin(
        sql`jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as k(kind text, number text, country_key text)`,
        sql`${identityDocuments.kind} = k.kind and ${identityDocuments.number} = k.number and ${identityDocuments.countryKey} = k.country_key`,
      );
    for (const r of rows) found.add(documentKey(r));
  }
  return found;
}

/** The 409 of a new researcher whose documents are already registered, naming each field. */
export async function assertDocumentsFree(conn: Conn, docs: DocumentInput[], pathOf: (i: number) => string): Promise<void> {
  const keys = docs.map((d) => ({ kind: d.kind, number: d.number, countryKey: countryKeyOf(d.kind, d.issuingCountry) }));
  const taken = await registeredDocuments(conn, keys);
  const errors: FieldError[] = [];
  keys.forEach((k, i) => {
    if (taken.has(documentKey(k))) errors.push({ path: pathOf(i), message: 'is already registered on the whitelist' });
  });
  if (errors.length > 0) throw documentConflict(errors);
}

export function documentConflict(errors: FieldError[]): ConflictError {
  return new ConflictError(
    errors.length === 1
      ? `${errors[0]!.path}: this document is already registered on the whitelist`
      : `${errors.length} documents are already registered on the whitelist`,
    'DOCUMENT_ALREADY_REGISTERED',
    errors,
  );
}

/**
 * A unique-index violation on identity documents (a concurrent registration of the
 * same document got there first) becomes the same 409 as the checked case.
 */
export function translateDocumentRace(err: unknown): unknown {
  if (sqlState(err) === '23505' && violatedConstraint(err) === 'identity_documents_kind_number_uq') {
    return documentConflict([{ path: 'documents', message: 'a document is already registered on the whitelist' }]);
  }
  return err;
}

// ---- writes ------------------------------------------------------------------------

export interface CreatedResearcher {
  researcher: ResearcherRow;
  documents: DocumentRow[];
}

export function documentRow(researcherId: string, d: DocumentInput, now: Date): DocumentRow {
  return {
    id: uuidv7(),
    researcherId,
    kind: d.kind,
    number: d.number,
    issuingCountry: d.issuingCountry,
    countryKey: countryKeyOf(d.kind, d.issuingCountry),
    expiresOn: d.expiresOn,
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
    return { researcher, documents: input.documents.map((d) => documentRow(id, d, now)) };
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
        kind: d.kind,
        number: d.number,
        issuing_country: d.issuingCountry,
        country_key: d.countryKey,
        expires_on: d.expiresOn,
      })),
    );
    await conn.execute(sql`
      insert into identity_documents (id, researcher_id, kind, number, issuing_country, country_key, expires_on, created_at)
      select id, researcher_id, kind, number, issuing_country, country_key, expires_on, ${at}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(ds)}::jsonb)
        as x(id uuid, researcher_id uuid, kind text, number text, issuing_country text, country_key text, expires_on date)`);
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
 * One page of an institution's researchers. Without `q`: by id (creation order).
 * With `q`: ranked by similarity, best first. Latin names are matched with pg_trgm
 * on lower(full_name) (similarity `%`, word similarity, or a plain substring),
 * so typos still match; Chinese names by substring (strpos) on name_zh, since
 * pg_trgm forms no trigrams of CJK characters under a C locale.
 */
export async function listResearchers(
  conn: Conn,
  institutionId: string,
  opts: ListOptions,
  today: string,
): Promise<{ rows: (ResearcherRow & { score?: number })[]; nextCursor: string | null }> {
  const base = and(eq(researchers.institutionId, institutionId), statusCondition(opts.status, today));
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
