import { and, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Principal } from '../../auth/principal.js';
import { type Conn, queryRows } from '../../db/client.js';
import { crossingItems, crossings, inspections, institutions, items, researchers } from '../../db/schema.js';
import type { Direction } from '../../domain/statuses.js';

export type CrossingRow = typeof crossings.$inferSelect;
export type InspectionRow = typeof inspections.$inferSelect;

/** Which crossings a caller may see: supervisors all, officers their checkpoint, admins their staff's. */
function crossingScope(p: Principal) {
  if (p.role === 'officer') return eq(crossings.checkpoint, p.checkpoint ?? '');
  if (p.role === 'institution_admin') return eq(crossings.institutionId, p.institutionId ?? '00000000-0000-0000-0000-000000000000');
  return undefined;
}

export interface CrossingFilter {
  checkpoint?: string | undefined;
  decision?: 'CLEARED' | 'FLAGGED' | undefined;
  direction?: Direction | undefined;
  researcherId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** The cursor: crossings older (by id) than this one. */
  before?: string | undefined;
  limit: number;
}

/** A page of the crossings `me` may see, newest first (one more than `limit`, to tell a next page). */
export async function listCrossings(conn: Conn, me: Principal, q: CrossingFilter): Promise<CrossingRow[]> {
  return conn
    .select()
    .from(crossings)
    .where(
      and(
        crossingScope(me),
        q.checkpoint ? eq(crossings.checkpoint, q.checkpoint) : undefined,
        q.decision ? eq(crossings.decision, q.decision) : undefined,
        q.direction ? eq(crossings.direction, q.direction) : undefined,
        q.researcherId ? eq(crossings.researcherId, q.researcherId) : undefined,
        q.from ? gte(crossings.decidedAt, new Date(q.from)) : undefined,
        q.to ? lt(crossings.decidedAt, new Date(q.to)) : undefined,
        q.before ? lt(crossings.id, q.before) : undefined,
      ),
    )
    .orderBy(desc(crossings.id))
    .limit(q.limit + 1);
}

/** One crossing, if `me` may see it. */
export async function findCrossing(conn: Conn, me: Principal, id: string): Promise<CrossingRow[]> {
  return conn
    .select()
    .from(crossings)
    .where(and(eq(crossings.id, id), crossingScope(me)));
}

export interface CrossingLine {
  crossingId: string;
  line: number;
  itemId: string | null;
  serialNumber: string | null;
  quantity: number | null;
  sha256: string | null;
  name: string | null;
  category: (typeof items.$inferSelect)['category'] | null;
}

export interface CrossingPerson {
  id: string;
  fullName: string;
  nameZh: string | null;
  institutionId: string;
  institutionName: string;
}

export interface CrossingDetails {
  lines: CrossingLine[];
  people: CrossingPerson[];
  outcomes: InspectionRow[];
}

/** What the answer of each crossing adds to its row: its lines, its traveller's names, its inspection. */
export async function crossingDetails(conn: Conn, rows: CrossingRow[]): Promise<CrossingDetails> {
  const ids = rows.map((r) => r.id);
  const lines = await conn
    .select({
      crossingId: crossingItems.crossingId,
      line: crossingItems.line,
      itemId: crossingItems.itemId,
      serialNumber: crossingItems.serialNumber,
      quantity: crossingItems.quantity,
      sha256: crossingItems.sha256,
      name: items.name,
      category: items.category,
    })
    .from(crossingItems)
    .leftJoin(items, eq(items.id, crossingItems.itemId))
    .where(inArray(crossingItems.crossingId, ids))
    .orderBy(crossingItems.crossingId, crossingItems.line);
  const researcherIds = [...new Set(rows.flatMap((r) => (r.researcherId ? [r.researcherId] : [])))];
  const people: CrossingPerson[] = researcherIds.length
    ? await conn
        .select({
          id: researchers.id,
          fullName: researchers.fullName,
          nameZh: researchers.nameZh,
          institutionId: researchers.institutionId,
          institutionName: institutions.name,
        })
        .from(researchers)
        .innerJoin(institutions, eq(institutions.id, researchers.institutionId))
        .where(inArray(researchers.id, researcherIds))
    : [];
  const outcomes = await conn.select().from(inspections).where(inArray(inspections.crossingId, ids));
  return { lines, people, outcomes };
}

// ---- inspections ------------------------------------------------------------

/** The crossing, locked for its inspection. */
export async function lockCrossing(tx: Conn, id: string): Promise<CrossingRow | undefined> {
  const [crossing] = await tx.select().from(crossings).where(eq(crossings.id, id)).for('update').limit(1);
  return crossing;
}

export async function hasInspection(tx: Conn, crossingId: string): Promise<boolean> {
  const [existing] = await tx.select({ id: inspections.id }).from(inspections).where(eq(inspections.crossingId, crossingId)).limit(1);
  return existing !== undefined;
}

export async function insertInspection(tx: Conn, row: typeof inspections.$inferInsert): Promise<void> {
  await tx.insert(inspections).values(row);
}

export async function findInspection(tx: Conn, id: string): Promise<InspectionRow | undefined> {
  const [row] = await tx.select().from(inspections).where(eq(inspections.id, id));
  return row;
}

/** The crossing's declared lines, in order. */
export async function declaredLines(tx: Conn, crossingId: string) {
  return tx.select().from(crossingItems).where(eq(crossingItems.crossingId, crossingId)).orderBy(crossingItems.line);
}

// ---- the item ledger --------------------------------------------------------

export async function findItemOwner(conn: Conn, id: string): Promise<{ id: string; institutionId: string } | undefined> {
  const [item] = await conn.select({ id: items.id, institutionId: items.institutionId }).from(items).where(eq(items.id, id));
  return item;
}

export async function isCustodian(conn: Conn, itemId: string, researcherId: string | null): Promise<boolean> {
  const custodian = await queryRows(conn, sql`select 1 from item_custodians where item_id = ${itemId}::uuid and researcher_id = ${researcherId}::uuid`);
  return custodian.length > 0;
}

export interface LedgerRow {
  at: Date | string;
  kind: string;
  actor: string | null;
  crossing_id: string | null;
  inspection_id: string | null;
  from_side: string | null;
  to_side: string | null;
  quantity: number | null;
  remaining_after: number | null;
  return_by: Date | string | null;
  status: string | null;
  reason: string | null;
  ord: number;
}

/** Every registration step (from the audit chain) and every movement of an item, in order. */
export async function itemLedger(conn: Conn, itemId: string): Promise<LedgerRow[]> {
  return queryRows<LedgerRow>(
    conn,
    sql`
        select at, action as kind, actor, null::uuid as crossing_id, null::uuid as inspection_id,
               null as from_side, null as to_side, null::float8 as quantity, null::float8 as remaining_after,
               null::timestamptz as return_by,
               coalesce(data->'after'->>'status', data->>'status') as status,
               coalesce(data->>'reason', data->'after'->>'statusReason') as reason,
               seq as ord, null::uuid as tiebreak
          from audit_events where subject = ${`item:${itemId}`}
        union all
        select m.at, m.kind, c.officer_id::text, m.crossing_id, m.inspection_id, m.from_side, m.to_side, m.quantity,
               m.remaining_after, m.return_by, null, null, 0, m.id
          from item_movements m join crossings c on c.id = m.crossing_id
         where m.item_id = ${itemId}::uuid
        order by at, ord, tiebreak`,
  );
}
