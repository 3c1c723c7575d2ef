import { AuditSealer } from '../../src/audit/sealer.js';
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { queryRows } from '../../src/db/client.js';
import type { Db } from '../../src/db/client.js';
import { identityDocuments, items } from '../../src/db/schema.js';
import { uuidv7 } from '../../src/lib/ids.js';
import type { TestApp } from './app.js';

/** What a test reads of a crossing answer. */
export interface CrossingAnswer {
  id: string;
  decision: 'CLEARED' | 'FLAGGED';
  reasons: { code: string; itemId?: string; detail: string }[];
  traveller: { researcherId: string; institutionId: string } | null;
  items: { line: number; itemId: string | null; serialNumber: string | null; quantity: number | null; sha256: string | null }[];
  checkpoint: string;
  direction: string;
  decidedAt: string;
  inspection: { id: string; outcome: string } | null;
}

export type DocumentRef = { document: { kind: string; number: string; issuingCountry?: string } } | { mrz: string };

export interface DeclaredLine {
  itemId?: string;
  serialNumber?: string;
  quantity?: number;
  sha256?: string;
}

let keySeq = 0;
/** A fresh Idempotency-Key. */
export const freshKey = (): string => `k-${process.pid}-${++keySeq}-${randomBytes(3).toString('hex')}`;

/**
 * A serial number in the form registration stores (normalizeSerialNumber: upper case).
 * insertItem's default serials are lower-case hex, which the API never stores.
 */
export const storedSerial = (prefix = 'SN'): string => `${prefix}-${randomBytes(4).toString('hex').toUpperCase()}`;

export const passportRef = (number: string): DocumentRef => ({ document: { kind: 'passport', number } });

/** POST /v1/crossings with a fresh (or the given) Idempotency-Key. */
export function postCrossing(
  ctx: TestApp,
  token: string,
  body: { checkpoint: string; direction: 'SZ_TO_HK' | 'HK_TO_SZ'; traveller: DocumentRef; items?: DeclaredLine[] },
  key: string | null = freshKey(),
): Promise<LightMyRequestResponse> {
  return ctx.request({
    method: 'POST',
    url: '/v1/crossings',
    token,
    headers: key === null ? {} : { 'idempotency-key': key },
    payload: { ...body, items: body.items ?? [] },
  });
}

export function postLookup(ctx: TestApp, token: string, ref: DocumentRef): Promise<LightMyRequestResponse> {
  return ctx.request({ method: 'POST', url: '/v1/clearance/lookup', token, payload: ref });
}

export const codesOf = (c: CrossingAnswer): string[] => c.reasons.map((r) => r.code).sort();

/** The parts of an item row that a crossing may change. */
export interface ItemState {
  currentSide: string | null;
  returnBy: string | null;
  remainingQuantity: number | null;
  version: number;
}

export async function itemState(db: Db, id: string): Promise<ItemState> {
  const [row] = await db
    .select({ currentSide: items.currentSide, returnBy: items.returnBy, remainingQuantity: items.remainingQuantity, version: items.version })
    .from(items)
    .where(eq(items.id, id));
  if (!row) throw new Error(`no item ${id}`);
  return {
    currentSide: row.currentSide,
    returnBy: row.returnBy ? row.returnBy.toISOString() : null,
    remainingQuantity: row.remainingQuantity === null ? null : Number(row.remainingQuantity),
    version: row.version,
  };
}

export async function itemStates(db: Db, ids: string[]): Promise<Record<string, ItemState>> {
  const out: Record<string, ItemState> = {};
  for (const id of ids) out[id] = await itemState(db, id);
  return out;
}

export interface MovementRow {
  id: string;
  item_id: string;
  crossing_id: string;
  inspection_id: string | null;
  kind: string;
  from_side: string | null;
  to_side: string | null;
  quantity: number | null;
  remaining_after: number | null;
  return_by: Date | string | null;
}

export function movementsOfCrossing(db: Db, crossingId: string): Promise<MovementRow[]> {
  return queryRows<MovementRow>(db, sql`select * from item_movements where crossing_id = ${crossingId}::uuid order by id`);
}

export function movementsOfItem(db: Db, itemId: string): Promise<MovementRow[]> {
  return queryRows<MovementRow>(db, sql`select * from item_movements where item_id = ${itemId}::uuid order by id`);
}

export async function countRows(db: Db, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(db, query);
  return Number(row?.n ?? 0);
}

export interface AuditRow {
  seq: number;
  actor: string;
  role: string;
  action: string;
  subject: string | null;
  data: Record<string, unknown> | string;
}

/** The audit events after `seq`, once the journal (lookups, crossings) is sealed (as the API seals it before a read). */
export async function auditAfter(db: Db, seq: number): Promise<AuditRow[]> {
  await new AuditSealer(db).sealAll();
  const rows = await queryRows<AuditRow>(
    db,
    sql`select seq, actor, role, action, subject, data from audit_events where seq > ${seq} order by seq`,
  );
  return rows.map((r) => ({ ...r, seq: Number(r.seq), data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data }));
}

export async function auditHead(db: Db): Promise<number> {
  await new AuditSealer(db).sealAll();
  const [row] = await queryRows<{ seq: number | string | null }>(db, sql`select max(seq) as seq from audit_events`);
  return Number(row?.seq ?? 0);
}

/** Gives a researcher another identity document (hkid, prc_id, …) as stored after normalisation. */
export async function insertDocument(
  db: Db,
  researcherId: string,
  doc: {
    kind: 'passport' | 'hkid' | 'prc_id' | 'hk_macao_permit' | 'home_return_permit';
    number: string;
    issuingCountry?: string;
    expiresOn?: string;
    status?: 'pending' | 'approved' | 'rejected' | 'revoked';
  },
): Promise<void> {
  const country = doc.issuingCountry ?? (doc.kind === 'hkid' ? 'HKG' : 'CHN');
  await db.insert(identityDocuments).values({
    id: uuidv7(),
    researcherId,
    institutionId: sql`(select institution_id from researchers where id = ${researcherId}::uuid)`, // the holder's
    status: doc.status ?? 'approved',
    kind: doc.kind,
    number: doc.number,
    issuingCountry: country,
    countryKey: doc.kind === 'passport' ? country : '',
    expiresOn: doc.expiresOn ?? '2099-01-01',
  });
}

export const DAY_MS = 86_400_000;
