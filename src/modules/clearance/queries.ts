import { sql } from 'drizzle-orm';
import type { ItemRecord, TravellerRecord } from '../../domain/decision/types.js';
import type { LookupSynchronousCommit } from '../../config.js';
import { type Conn, preparedRows, queryRows } from '../../db/client.js';

/** An item as the clearance desk sees it: the decision's record plus what the officer reads. */
export interface DeskItem extends ItemRecord {
  serialNumber: string | null;
  maxDaysAbroad: number | null;
  sizeBytes: number | null;
  /** The row's version (bumped by every change): what a crossing decided on, checked when it is written. */
  version: number;
}

export interface TravellerCard {
  traveller: TravellerRecord;
  researcher: {
    id: string;
    fullName: string;
    nameZh: string | null;
    dateOfBirth: string;
    nationality: string;
    status: TravellerRecord['status'];
    validFrom: string | null;
    validUntil: string | null;
  };
  institution: { id: string; name: string; nameZh: string | null; side: 'SZ' | 'HK'; status: 'active' | 'suspended' };
  /** Every item the traveller is a custodian of. */
  custody: DeskItem[];
}

/** How the officer identified the traveller. */
export type DocumentQuery =
  | { by: 'document'; kind: string; number: string; issuingCountry?: string | undefined }
  | { by: 'mrz'; number: string; issuingState: string; passportOnly: boolean };
export interface RawItem extends Omit<DeskItem, 'returnBy'> {
  returnBy: string | null;
}

export function toDeskItem(raw: RawItem): DeskItem {
  return {
    ...raw,
    returnBy: raw.returnBy ? new Date(raw.returnBy).toISOString() : null,
    remainingQuantity: raw.remainingQuantity === null ? null : Number(raw.remainingQuantity),
  };
}

export interface TravellerRow {
  [key: string]: unknown;
  doc_kind: string;
  doc_number: string;
  doc_country: string;
  doc_expires: string;
  doc_status: TravellerRecord['document']['status'];
  r_id: string;
  full_name: string;
  name_zh: string | null;
  dob: string;
  nationality: string;
  r_status: TravellerRecord['status'];
  valid_from: string | null;
  valid_until: string | null;
  i_id: string;
  i_name: string;
  i_name_zh: string | null;
  i_side: 'SZ' | 'HK';
  i_status: 'active' | 'suspended';
  custody: RawItem[] | string;
}

const ITEM_JSON_TEXT = `json_build_object(
  'id', it.id, 'name', it.name, 'institutionId', it.institution_id, 'category', it.category,
  'status', it.status, 'validUntil', it.valid_until::text, 'homeSide', it.home_side,
  'currentSide', it.current_side, 'returnBy', it.return_by, 'remainingQuantity', it.remaining_quantity,
  'unit', it.unit, 'sha256', it.sha256, 'classification', it.classification,
  'transferApprovalReference', it.transfer_approval_reference, 'serialNumber', it.serial_number,
  'maxDaysAbroad', it.max_days_abroad, 'sizeBytes', it.size_bytes, 'version', it.version,
  'custodianIds', (select coalesce(json_agg(c2.researcher_id), '[]'::json) from item_custodians c2 where c2.item_id = it.id)
)`;

/** The declared items as JSON, in id order (`ids`: a uuid[] expression), locked when asked. */
export function itemsByIdSql(ids: string, lock: boolean): string {
  return `select ${ITEM_JSON_TEXT} as item from items it where it.id = any(${ids}) order by it.id${lock ? ' for update' : ''}`;
}

const TRAVELLER_SELECT = `
    select d.kind as doc_kind, d.number as doc_number, d.issuing_country as doc_country, d.expires_on::text as doc_expires,
           d.status as doc_status, d.country_key as doc_key, d.created_at as doc_created,
           r.id as r_id, r.full_name, r.name_zh, r.date_of_birth::text as dob, r.nationality, r.status as r_status,
           r.valid_from::text as valid_from, r.valid_until::text as valid_until,
           i.id as i_id, i.name as i_name, i.name_zh as i_name_zh, i.side as i_side, i.status as i_status,
           (select coalesce(json_agg(${ITEM_JSON_TEXT} order by it.id), '[]'::json)
              from item_custodians c join items it on it.id = c.item_id
             where c.researcher_id = r.id) as custody
      from identity_documents d
      join researchers r on r.id = d.researcher_id
      join institutions i on i.id = r.institution_id
     where `;

/**
 * The travellers that hold a document matching `where`: one per distinct document (kind,
 * number, issuer) — several only for a passport number that several countries issued.
 * A document registered by several researchers (nominated at two institutions, say) is
 * read as its approved holder's, else its first registered holder's: another institution
 * registering someone's number does not change what the border sees.
 */
export function travellerSql(where: string): string {
  return `select distinct on (x.doc_kind, x.doc_key) x.* from (${TRAVELLER_SELECT}${where}
     order by d.status <> 'approved', d.created_at, d.id limit 10) x
   order by x.doc_kind, x.doc_key, x.doc_status <> 'approved', x.doc_created, x.r_id`;
}

/**
 * The four shapes of the lookup: the document condition, written once over its
 * parameters (`p[i]`), for the single statement ($1, $2, …) and for the batched one
 * (the columns of the unnested arrays). Each text is fixed, so that a pg connection
 * prepares it once (a named statement) and then only binds and executes it.
 */
export const SHAPES = {
  document: { name: 'hetao_traveller_by_document', arity: 2, where: (p: string[]) => `d.kind = ${p[0]} and d.number = ${p[1]}` },
  passport: {
    name: 'hetao_traveller_by_passport',
    arity: 3,
    where: (p: string[]) => `d.kind = ${p[0]} and d.number = ${p[1]} and d.country_key = ${p[2]}`,
  },
  mrzPassport: { name: 'hetao_traveller_by_td3', arity: 2, where: (p: string[]) => `d.kind = 'passport' and d.number = ${p[0]} and d.country_key = ${p[1]}` },
  mrzAny: { name: 'hetao_traveller_by_td1', arity: 2, where: (p: string[]) => `d.number = ${p[0]} and (d.kind <> 'passport' or d.country_key = ${p[1]})` },
} as const;

export type TravellerShape = keyof typeof SHAPES;

export const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

const TRAVELLER_QUERIES = Object.fromEntries(
  Object.entries(SHAPES).map(([shape, s]) => [shape, { name: s.name, text: travellerSql(s.where(range(s.arity).map((i) => `$${i}`))) }]),
) as Record<TravellerShape, { name: string; text: string }>;

/**
 * A lookup's audit event, as far as it is known before the read: who, when, and what
 * was asked. The read decides the rest — `clearance.lookup` with the researcher as its
 * subject when exactly one traveller holds the document, `clearance.lookup_no_match`
 * when none does; several (an ambiguous passport number, refused) record nothing.
 */
export interface LookupAudit {
  at: Date;
  actor: string;
  role: string;
  data: Record<string, unknown>;
}

/** A lookup's audit_journal row, decided from `n`, how many travellers it found, and `rid`, the researcher's id when one. */
const JOURNAL_INSERT = `insert into audit_journal (at, actor, role, action, subject, data)`;
const journalAction = (n: string) => `case when ${n} = 1 then 'clearance.lookup' else 'clearance.lookup_no_match' end`;
const journalSubject = (n: string, rid: string) => `case when ${n} = 1 then 'researcher:' || ${rid} end`;
/** The journal row is written when the read found at most one traveller; its transaction commits with `synchronous_commit` = the parameter `p`. */
const journalWhere = (n: string, p: string) => `${n} <= 1 and set_config('synchronous_commit', ${p}, true) is not null`;

/**
 * A lookup in one statement: the traveller card, and the lookup's audit event written to
 * the journal (audit_journal) — committed together, before the answer leaves, in one
 * round trip (with the commit's flush awaited or not: LookupSynchronousCommit, parameter
 * arity + 5). The event enters the chain when the AuditSealer seals the journal.
 */
const LOOKUP_QUERIES = Object.fromEntries(
  Object.entries(SHAPES).map(([shape, s]) => {
    const p = (i: number) => `$${s.arity + i}`;
    const text = `with t as materialized (${travellerSql(s.where(range(s.arity).map((i) => `$${i}`)))}),
j as (${JOURNAL_INSERT}
  select ${p(1)}::timestamptz, ${p(2)}, ${p(3)}, ${journalAction('m.n')}, ${journalSubject('m.n', 'm.rid')}, ${p(4)}::jsonb
    from (select count(*) as n, min(t.r_id::text) as rid from t) m where ${journalWhere('m.n', p(5))})
select * from t`;
    return [shape, { name: `${s.name}_audited`, text }];
  }),
) as Record<TravellerShape, { name: string; text: string }>;

/**
 * Several lookups of one shape in one statement: parameter i is the array of every
 * lookup's i-th value, then the arrays of their audit events' times, actors, roles and
 * data, then the synchronous_commit; each row says which lookup (`ord`, from 1) it
 * answers. One journal row per lookup, in their order, committed with the read as in
 * LOOKUP_QUERIES.
 */
const LOOKUP_BATCH_QUERIES = Object.fromEntries(
  Object.entries(SHAPES).map(([shape, s]) => {
    const cols = range(s.arity).map((i) => `q.v${i}`);
    const p = (i: number) => `$${s.arity + i}`;
    const text = `with q as materialized (
  select * from unnest(${range(s.arity).map((i) => `$${i}::text[]`).join(', ')}, ${p(1)}::timestamptz[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::jsonb[])
    with ordinality as q(${range(s.arity).map((i) => `v${i}`).join(', ')}, at, actor, role, data, ord)),
t as materialized (select q.ord::int as ord, t.* from q cross join lateral (${travellerSql(s.where(cols))}) t),
j as (${JOURNAL_INSERT}
  select q.at, q.actor, q.role, ${journalAction('m.n')}, ${journalSubject('m.n', 'm.rid')}, q.data
    from q cross join lateral (select count(*) as n, min(t.r_id::text) as rid from t where t.ord = q.ord) m
   where ${journalWhere('m.n', p(5))} order by q.ord)
select * from t`;
    return [shape, { name: `${s.name}_audited_batch`, text }];
  }),
) as Record<TravellerShape, { name: string; text: string }>;

/** Which of the four statements a lookup takes, and its parameters. */
export function travellerShape(q: DocumentQuery): [TravellerShape, string[]] {
  return q.by === 'document'
    ? q.kind === 'passport' && q.issuingCountry
      ? ['passport', [q.kind, q.number, q.issuingCountry]]
      : ['document', [q.kind, q.number]]
    : q.passportOnly
      ? ['mrzPassport', [q.number, q.issuingState]]
      : ['mrzAny', [q.number, q.issuingState]];
}

export function travellerQuery(q: DocumentQuery): [{ name: string; text: string }, string[]] {
  const [shape, values] = travellerShape(q);
  return [TRAVELLER_QUERIES[shape], values];
}

/** A lookup's read and its audit event (LOOKUP_QUERIES): the cards that hold the document. */
export async function lookupTravellers(
  conn: Conn,
  q: DocumentQuery,
  audit: LookupAudit,
  synchronousCommit: LookupSynchronousCommit,
): Promise<TravellerCard[]> {
  const [shape, values] = travellerShape(q);
  const rows = await preparedRows<TravellerRow>(conn, LOOKUP_QUERIES[shape], [
    ...values,
    audit.at.toISOString(),
    audit.actor,
    audit.role,
    JSON.stringify(audit.data),
    synchronousCommit,
  ]);
  return toCards(rows);
}

/**
 * Several lookups of one shape, and their audit events, in one statement
 * (LOOKUP_BATCH_QUERIES): answers[i] holds the cards of lookup i (`values[i]` are its
 * parameters, as travellerShape gives them; `audits[i]` its event).
 */
export async function lookupTravellersBatch(
  conn: Conn,
  shape: TravellerShape,
  values: string[][],
  audits: LookupAudit[],
  synchronousCommit: LookupSynchronousCommit,
): Promise<TravellerCard[][]> {
  const arity = SHAPES[shape].arity;
  const columns = range(arity).map((_, c) => values.map((v) => v[c]!));
  const rows = await preparedRows<TravellerRow & { ord: number }>(conn, LOOKUP_BATCH_QUERIES[shape], [
    ...columns,
    audits.map((a) => a.at.toISOString()),
    audits.map((a) => a.actor),
    audits.map((a) => a.role),
    audits.map((a) => JSON.stringify(a.data)),
    synchronousCommit,
  ]);
  const byLookup: TravellerRow[][] = values.map(() => []);
  for (const row of rows) byLookup[row.ord - 1]?.push(row);
  return byLookup.map(toCards);
}

/**
 * The traveller card in one round trip: document → researcher → institution, with
 * every item in the researcher's custody aggregated as JSON.
 * Returns every match (a passport number may repeat across issuing countries).
 */
export async function findTravellers(conn: Conn, q: DocumentQuery): Promise<TravellerCard[]> {
  const [query, values] = travellerQuery(q);
  return toCards(await preparedRows<TravellerRow>(conn, query, values));
}


export function toCards(rows: TravellerRow[]): TravellerCard[] {
  return rows.map((row) => {
    const custodyRaw = typeof row.custody === 'string' ? (JSON.parse(row.custody) as RawItem[]) : row.custody;
    const traveller: TravellerRecord = {
      researcherId: row.r_id,
      fullName: row.full_name,
      status: row.r_status,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      dateOfBirth: row.dob,
      nationality: row.nationality,
      institution: { id: row.i_id, name: row.i_name, status: row.i_status },
      document: { kind: row.doc_kind, number: row.doc_number, issuingCountry: row.doc_country, expiresOn: row.doc_expires, status: row.doc_status },
    };
    return {
      traveller,
      researcher: {
        id: row.r_id,
        fullName: row.full_name,
        nameZh: row.name_zh,
        dateOfBirth: row.dob,
        nationality: row.nationality,
        status: row.r_status,
        validFrom: row.valid_from,
        validUntil: row.valid_until,
      },
      institution: { id: row.i_id, name: row.i_name, nameZh: row.i_name_zh, side: row.i_side, status: row.i_status },
      custody: custodyRaw.map(toDeskItem),
    };
  });
}

const LOCK_ITEMS = {
  name: 'hetao_lock_items',
  text: itemsByIdSql('$1::uuid[]', true),
};

/**
 * Locks the declared items (in id order, so two crossings never deadlock) and reads
 * them as they are once the lock is held (a row that changed while this waited is
 * read again in its committed state), in one statement.
 */
export async function lockItems(conn: Conn, ids: string[]): Promise<Map<string, DeskItem>> {
  const map = new Map<string, DeskItem>();
  if (ids.length === 0) return map;
  const sorted = [...new Set(ids)].sort();
  const rows = await preparedRows<{ item: RawItem | string }>(conn, LOCK_ITEMS, [sorted]);
  for (const row of rows) {
    const raw = typeof row.item === 'string' ? (JSON.parse(row.item) as RawItem) : row.item;
    map.set(raw.id, toDeskItem(raw));
  }
  return map;
}

/**
 * Item ids for declared serial numbers. A serial is unique per institution only, so
 * prefer an item the traveller holds, then one of the traveller's institution.
 */
export async function resolveSerials(
  conn: Conn,
  serials: string[],
  researcherId: string | null,
  institutionId: string | null,
): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  const unique = [...new Set(serials)];
  if (unique.length === 0) return map;
  const list = sql.join(unique.map((s) => sql`${s}`), sql`, `);
  const rows = await queryRows<{ serial_number: string; id: string }>(conn, sql`
    select distinct on (it.serial_number) it.serial_number, it.id
      from items it
     where it.serial_number in (${list})
     order by it.serial_number,
              (exists (select 1 from item_custodians c where c.item_id = it.id and c.researcher_id = ${researcherId}::uuid)) desc,
              (it.institution_id = ${institutionId}::uuid) desc nulls last,
              it.id`);
  for (const row of rows) map.set(row.serial_number, row.id);
  return map;
}
