import { type Conn, preparedRows } from '../../db/client.js';
import { findKeySql, findKeySqlOver, type KeyRecord, lockAndFindSql, lockAndFindValues, type StoredAnswer } from '../../db/idempotency-store.js';
import type { MovePlan } from '../../domain/movements.js';
import {
  type DeskItem,
  type DocumentQuery,
  itemsByIdSql,
  range,
  type RawItem,
  SHAPES,
  toCards,
  toDeskItem,
  type TravellerCard,
  travellerQuery,
  type TravellerRow,
  type TravellerShape,
  travellerShape,
  travellerSql,
} from './queries.js';

/**
 * A crossing's reads in one round trip: with an Idempotency-Key, first the key's stored
 * answer; then the traveller card and the declared items (in id order).
 *
 * `lock: true` (inside the crossing's transaction): the key's lock is taken before
 * anything else (the output columns are evaluated in order) and the items are locked
 * and read as they are once locked. `lock: false` (the optimistic path, no transaction):
 * nothing is locked; what was read is checked when the crossing is written (the items'
 * versions, the key still unused), and a crossing whose reads went stale is decided again.
 */
export async function findTravellersAndItems(
  conn: Conn,
  q: DocumentQuery,
  itemIds: string[],
  key: KeyRecord | undefined,
  lock: boolean,
): Promise<CrossingReads> {
  const [query, values] = travellerQuery(q);
  const ids = values.length + 1;
  const keySql = lock ? lockAndFindSql(ids + 1) : findKeySql(ids + 1);
  const statement = {
    name: `${query.name}_${lock ? 'lock_items' : 'items'}${key ? '_keyed' : ''}`,
    text: `with ${key ? `kc as materialized (${keySql}),
` : ''}t as (${query.text}),
li as (${itemsByIdSql(`$${ids}::uuid[]`, lock)})
select ${key ? '(select row_to_json(kc) from kc) as stored,' : 'null::json as stored,'}
       (select coalesce(json_agg(t), '[]'::json) from t) as travellers,
       (select coalesce(json_agg(li.item), '[]'::json) from li) as items`,
  };
  const [row] = await preparedRows<CrossingReadsRow>(conn, statement, [
    ...values,
    [...new Set(itemIds)].sort(),
    ...(key ? (lock ? lockAndFindValues(key) : [key.principal, key.key]) : []),
  ]);
  return crossingReadsOf(row!);
}

/** What a crossing is decided on: the key's stored answer, the traveller cards, the declared items by id. */
export interface CrossingReads {
  stored: StoredAnswer | undefined;
  cards: TravellerCard[];
  items: Map<string, DeskItem>;
}

type CrossingReadsRow = { stored: StoredAnswer | string | null; travellers: TravellerRow[] | string; items: RawItem[] | string };

function crossingReadsOf(row: CrossingReadsRow): CrossingReads {
  const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  const stored = row.stored === null ? null : json<StoredAnswer>(row.stored);
  const rawItems = json<RawItem[]>(row.items);
  return {
    stored: stored?.statusCode != null ? stored : undefined,
    cards: toCards(json<TravellerRow[]>(row.travellers)),
    items: new Map(rawItems.map((raw) => [raw.id, toDeskItem(raw)])),
  };
}

/**
 * The optimistic (unlocked) reads of several crossings of one traveller shape, in one
 * statement: what findTravellersAndItems(…, lock: false) reads for each, in the order given.
 * The crossings travel as one jsonb parameter (their item ids are arrays of any length).
 */
const CROSSING_BATCH_QUERIES = Object.fromEntries(
  Object.entries(SHAPES).map(([shape, s]) => {
    const text = `select q.ord,
       (select row_to_json(kc) from (${findKeySqlOver('q.p', 'q.k')}) kc) as stored,
       (select coalesce(json_agg(t), '[]'::json) from (${travellerSql(s.where(range(s.arity).map((i) => `q.v${i}`)))}) t) as travellers,
       (select coalesce(json_agg(li.item), '[]'::json)
          from (${itemsByIdSql('q.ids', false)}) li) as items
  from jsonb_to_recordset($1::jsonb) as q(ord int, v1 text, v2 text, v3 text, ids uuid[], p text, k text)`;
    return [shape, { name: `${s.name}_items_batch`, text }];
  }),
) as Record<TravellerShape, { name: string; text: string }>;

export async function findTravellersAndItemsBatch(
  conn: Conn,
  shape: TravellerShape,
  reads: { query: DocumentQuery; itemIds: string[]; key: KeyRecord | undefined }[],
): Promise<CrossingReads[]> {
  const records = reads.map((r, i) => {
    const [, values] = travellerShape(r.query);
    return {
      ord: i + 1,
      v1: values[0] ?? null,
      v2: values[1] ?? null,
      v3: values[2] ?? null,
      ids: [...new Set(r.itemIds)].sort(),
      p: r.key?.principal ?? null,
      k: r.key?.key ?? null,
    };
  });
  const rows = await preparedRows<CrossingReadsRow & { ord: number }>(conn, CROSSING_BATCH_QUERIES[shape], [JSON.stringify(records)]);
  const answers: CrossingReads[] = [];
  for (const row of rows) answers[row.ord - 1] = crossingReadsOf(row);
  return reads.map((_, i) => answers[i]!);
}


/**
 * The items' changes and the ledger rows of planMoves, as two CTEs reading the JSON
 * arrays `changes` and `movements` (`from`: more of the FROM list, before them).
 */
function movesCtes(src: { from: string; changes: string; movements: string; now: string }): string {
  return `u as (
  update items it
     set current_side = case when ch.set_side then ch.current_side else it.current_side end,
         return_by = case when ch.set_side then ch.return_by else it.return_by end,
         remaining_quantity = case when ch.set_qty then ch.remaining else it.remaining_quantity end,
         updated_at = ${src.now},
         version = it.version + ch.bumps
    from ${src.from}jsonb_to_recordset(${src.changes})
      as ch(id uuid, set_side boolean, current_side text, return_by timestamptz, set_qty boolean, remaining double precision, bumps int)
   where it.id = ch.id),
m as (
  insert into item_movements (id, item_id, crossing_id, inspection_id, kind, from_side, to_side, quantity, remaining_after, return_by, at)
  select mv.id, mv.item_id, mv.crossing_id, mv.inspection_id, mv.kind, mv.from_side, mv.to_side, mv.quantity, mv.remaining_after, mv.return_by, mv.at
    from ${src.from}jsonb_to_recordset(${src.movements})
      as mv(id uuid, item_id uuid, crossing_id uuid, inspection_id uuid, kind text, from_side text, to_side text,
            quantity double precision, remaining_after double precision, return_by timestamptz, at timestamptz))`;
}

/**
 * Crossings, each with its declared lines, what it moves, its audit event (into the
 * journal, which the AuditSealer links to the chain soon after, and before any audit
 * read) and its Idempotency-Key record, written in one statement: one
 * crossing inside its own transaction, or many at once (CrossingWriter).
 *
 * A crossing is written only if what it was decided on still holds: every declared
 * item still has the version that was read (the items are locked first, in id order,
 * and read as committed) and its key has no answer yet. The others are left out, and
 * the statement answers which were written.
 */
const WRITE_CROSSINGS = {
  name: 'hetao_write_crossings',
  text: `with input as materialized (
  select * from jsonb_to_recordset($1::jsonb) as x(
    idx int, id uuid, checkpoint text, direction text, officer_id uuid, researcher_id uuid, institution_id uuid,
    document_kind text, document_number text, via_mrz boolean, decision text, reasons jsonb, reason_codes text[],
    decided_at timestamptz, lines jsonb, expect jsonb, changes jsonb, movements jsonb,
    audit_at timestamptz, actor text, role text, action text, subject text, data jsonb,
    key_principal text, key_value text, key_route text, request_hash text, response jsonb, headers jsonb)),
e as (select input.idx, ex.id, ex.version from input cross join lateral jsonb_to_recordset(input.expect) as ex(id uuid, version int)),
lk as materialized (select it.id, it.version from items it where it.id in (select id from e) order by it.id for update of it),
stale as (
  select e.idx from e left join lk on lk.id = e.id where lk.version is distinct from e.version
  union
  select input.idx from input join idempotency_keys k on k.principal = input.key_principal and k.key = input.key_value),
ok as materialized (select * from input where idx not in (select idx from stale)),
c as (
  insert into crossings (id, checkpoint, direction, officer_id, researcher_id, institution_id, document_kind, document_number,
                         via_mrz, decision, reasons, reason_codes, decided_at)
  select id, checkpoint, direction, officer_id, researcher_id, institution_id, document_kind, document_number,
         via_mrz, decision, reasons, reason_codes, decided_at
    from ok),
l as (
  insert into crossing_items (crossing_id, line, item_id, serial_number, quantity, sha256)
  select ok.id, ln.line, ln.item_id, ln.serial_number, ln.quantity, ln.sha256
    from ok cross join lateral jsonb_to_recordset(ok.lines) as ln(line int, item_id uuid, serial_number text, quantity double precision, sha256 text)),
${movesCtes({ from: 'ok cross join lateral ', changes: 'ok.changes', movements: 'ok.movements', now: 'ok.decided_at' })},
o as (
  insert into audit_journal (at, actor, role, action, subject, data)
  select audit_at, actor, role, action, subject, data from ok order by idx),
k as (
  insert into idempotency_keys (principal, key, route, request_hash, status_code, response, headers)
  select key_principal, key_value, key_route, request_hash, 201, response, headers from ok where key_principal is not null)
select idx from ok`,
};

/** Writes planned crossings (WRITE_CROSSINGS); answers the indexes, in `planned`, of those written. */
export async function writeCrossings(conn: Conn, planned: { record: Record<string, unknown> }[]): Promise<Set<number>> {
  const rows = await preparedRows<{ idx: number }>(conn, WRITE_CROSSINGS, [JSON.stringify(planned.map((p, idx) => ({ idx, ...p.record })))]);
  return new Set(rows.map((r) => r.idx));
}

/** What an inspection that RELEASED the items moves: one statement. */
const WRITE_MOVES = {
  name: 'hetao_write_moves',
  text: `with ${movesCtes({ from: '', changes: '$1::jsonb', movements: '$2::jsonb', now: '$3::timestamptz' })}
select 1 as written`,
};

/** Applies the movement of released items (WRITE_MOVES). */
export async function writeMoves(tx: Conn, plan: MovePlan, now: Date): Promise<void> {
  await preparedRows(tx, WRITE_MOVES, [JSON.stringify(plan.changes), JSON.stringify(plan.movements), now.toISOString()]);
}
