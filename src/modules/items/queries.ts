import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { Principal } from '../../auth/principal.js';
import type { Conn, Tx } from '../../db/client.js';
import { sqlState } from '../../db/errors.js';
import { institutions, itemCustodians, items, researchers } from '../../db/schema.js';
import { ConflictError, type FieldError, ValidationError } from '../../errors.js';
import { uuidv7 } from '../../lib/ids.js';
import type { CreateItemBody } from './schemas.js';

export type ItemRow = typeof items.$inferSelect;
export type ItemStatus = ItemRow['status'];

/** Researcher statuses that may be named custodians of an item. */
export const CUSTODIAN_STATUSES = ['approved', 'nominated'] as const;

export async function loadItem(conn: Conn, id: string, opts: { lock?: boolean } = {}): Promise<ItemRow | undefined> {
  const query = conn.select().from(items).where(eq(items.id, id)).limit(1);
  const [row] = opts.lock ? await query.for('update') : await query;
  return row;
}

/** The institution's status, its row locked FOR SHARE so that it is not suspended mid-way. */
export async function lockInstitution(tx: Tx, id: string): Promise<{ id: string; status: string } | undefined> {
  const [row] = await tx
    .select({ id: institutions.id, status: institutions.status })
    .from(institutions)
    .where(eq(institutions.id, id))
    .for('share')
    .limit(1);
  return row;
}

/** The custodian researcher ids of each item, in a stable order. */
export async function custodiansOf(conn: Conn, itemIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>(itemIds.map((id) => [id, []]));
  if (itemIds.length === 0) return map;
  const rows = await conn
    .select({ itemId: itemCustodians.itemId, researcherId: itemCustodians.researcherId })
    .from(itemCustodians)
    .where(inArray(itemCustodians.itemId, itemIds))
    .orderBy(asc(itemCustodians.itemId), asc(itemCustodians.researcherId));
  for (const r of rows) map.get(r.itemId)?.push(r.researcherId);
  return map;
}

/**
 * Custodians must be researchers of the item's institution whose whitelist
 * status is approved or nominated. A researcher of another institution gets the
 * same answer as one that does not exist, so nothing leaks across institutions.
 * Locks the researcher rows (FOR SHARE) so that none is revoked mid-way.
 */
export async function checkCustodians(tx: Tx, institutionId: string, ids: readonly string[]): Promise<string[]> {
  const normalized = ids.map((id) => id.toLowerCase());
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  normalized.forEach((id, i) => {
    if (seen.has(id)) errors.push({ path: `custodianIds.${i}`, message: 'is listed more than once' });
    seen.add(id);
  });
  const rows = normalized.length
    ? await tx
        .select({ id: researchers.id, institutionId: researchers.institutionId, status: researchers.status })
        .from(researchers)
        .where(inArray(researchers.id, [...seen]))
        .for('share')
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  normalized.forEach((id, i) => {
    const r = byId.get(id);
    if (!r || r.institutionId !== institutionId) {
      errors.push({ path: `custodianIds.${i}`, message: 'is not a researcher of this institution' });
    } else if (!(CUSTODIAN_STATUSES as readonly string[]).includes(r.status)) {
      errors.push({
        path: `custodianIds.${i}`,
        message: `is a researcher with status ${r.status}; custodians must be approved or nominated`,
      });
    }
  });
  if (errors.length) throw new ValidationError(errors);
  return [...seen].sort();
}

function serialTaken(serialNumber: string, existingId?: string): ConflictError {
  return new ConflictError(
    `This institution already has an item with serial number ${serialNumber}${existingId ? ` (${existingId})` : ''}`,
    'SERIAL_NUMBER_TAKEN',
    [{ path: 'serialNumber', message: 'is already registered by this institution' }],
  );
}

export interface NewItem {
  institutionId: string;
  status: 'submitted' | 'endorsed';
  submittedBy: string | null;
  custodianIds: string[];
  body: CreateItemBody;
  now: Date;
}

export async function insertItem(tx: Tx, input: NewItem): Promise<ItemRow> {
  const { body } = input;
  const id = uuidv7();
  const common = {
    id,
    institutionId: input.institutionId,
    category: body.category,
    name: body.name,
    description: body.description ? body.description : null,
    homeSide: body.homeSide,
    status: input.status,
    submittedBy: input.submittedBy,
    createdAt: input.now,
    updatedAt: input.now,
  };
  let values: typeof items.$inferInsert;
  switch (body.category) {
    case 'equipment': {
      const [taken] = await tx
        .select({ id: items.id })
        .from(items)
        .where(and(eq(items.institutionId, input.institutionId), eq(items.serialNumber, body.serialNumber)))
        .limit(1);
      if (taken) throw serialTaken(body.serialNumber, taken.id);
      values = {
        ...common,
        serialNumber: body.serialNumber,
        manufacturer: body.manufacturer,
        model: body.model,
        hsCode: body.hsCode,
        valueAmount: body.valueAmount,
        valueCurrency: body.valueCurrency,
        maxDaysAbroad: body.maxDaysAbroad ?? null,
        currentSide: body.homeSide,
        returnBy: null,
      };
      break;
    }
    case 'reagent':
      values = {
        ...common,
        quantity: body.quantity,
        remainingQuantity: body.quantity,
        unit: body.unit,
        casNumber: body.casNumber,
        hazardClass: body.hazardClass ?? null,
        hsCode: body.hsCode ?? null,
      };
      break;
    case 'biological_sample':
      values = {
        ...common,
        quantity: body.quantity,
        remainingQuantity: body.quantity,
        unit: body.unit,
        biosafetyLevel: body.biosafetyLevel,
        permitReference: body.permitReference ?? null,
      };
      break;
    case 'data':
      values = {
        ...common,
        sha256: body.sha256,
        sizeBytes: body.sizeBytes,
        classification: body.classification,
        transferApprovalReference: body.transferApprovalReference ?? null,
      };
      break;
  }
  let row: ItemRow | undefined;
  try {
    [row] = await tx.insert(items).values(values).returning();
  } catch (err) {
    // Two registrations of the same serial racing each other: the unique index decides.
    if (sqlState(err) === '23505' && body.category === 'equipment') throw serialTaken(body.serialNumber);
    throw err;
  }
  await tx.insert(itemCustodians).values(input.custodianIds.map((researcherId) => ({ itemId: id, researcherId, createdAt: input.now })));
  return row!;
}

export async function replaceCustodians(tx: Tx, itemId: string, custodianIds: string[], now: Date): Promise<void> {
  await tx.delete(itemCustodians).where(eq(itemCustodians.itemId, itemId));
  await tx.insert(itemCustodians).values(custodianIds.map((researcherId) => ({ itemId, researcherId, createdAt: now })));
}

export interface ItemFilters {
  serialNumber?: string | undefined;
  institutionId?: string | undefined;
  status?: ItemStatus | undefined;
  category?: ItemRow['category'] | undefined;
  custodianId?: string | undefined;
}

/** One page of the items the principal may see, in id (creation) order. */
export async function listItems(
  conn: Conn,
  p: Principal,
  filters: ItemFilters,
  page: { after?: string | undefined; limit: number },
): Promise<ItemRow[]> {
  const custodianOf = (researcherId: string) =>
    inArray(
      items.id,
      conn.select({ id: itemCustodians.itemId }).from(itemCustodians).where(eq(itemCustodians.researcherId, researcherId)),
    );
  const scope =
    p.role === 'supervisor' || p.role === 'officer'
      ? undefined
      : p.role === 'institution_admin' && p.institutionId
        ? eq(items.institutionId, p.institutionId)
        : p.role === 'researcher' && p.researcherId
          ? custodianOf(p.researcherId)
          : eq(items.id, '00000000-0000-0000-0000-000000000000');
  return conn
    .select()
    .from(items)
    .where(
      and(
        scope,
        page.after !== undefined ? gt(items.id, page.after) : undefined,
        filters.serialNumber !== undefined ? eq(items.serialNumber, filters.serialNumber) : undefined,
        filters.institutionId !== undefined ? eq(items.institutionId, filters.institutionId) : undefined,
        filters.status !== undefined ? eq(items.status, filters.status) : undefined,
        filters.category !== undefined ? eq(items.category, filters.category) : undefined,
        filters.custodianId !== undefined ? custodianOf(filters.custodianId) : undefined,
      ),
    )
    .orderBy(asc(items.id))
    .limit(page.limit + 1);
}

export type ItemChanges = Partial<Pick<ItemRow, 'name' | 'description' | 'status' | 'statusReason' | 'validUntil'>>;

/** Writes `changes` over the version read (`before`), moving the version on; the new row. */
export async function updateItem(tx: Tx, before: ItemRow, changes: ItemChanges, now: Date): Promise<ItemRow> {
  const [row] = await tx
    .update(items)
    .set({ ...changes, version: before.version + 1, updatedAt: now })
    .where(and(eq(items.id, before.id), eq(items.version, before.version)))
    .returning();
  return row!;
}
