import { eq } from 'drizzle-orm';
import { appendAuditAtCommit, type AuditEntry, outboxInsertSql, outboxValues } from '../../audit/chain.js';
import type { AuditWriter } from '../../audit/writer.js';
import { actorOf, type Principal } from '../../auth/principal.js';
import { borderDate, decide, destinationSide } from '../../clearance/decide.js';
import type { DeclaredItem, Decision, Direction, MrzFacts, Reason } from '../../clearance/types.js';
import { type Conn, type Db, preparedRows } from '../../db/client.js';
import { crossingItems, crossings, inspections } from '../../db/schema.js';
import { type DocumentKind, parseMrz, validateDocumentNumber } from '../../documents/index.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { uuidv7 } from '../../lib/ids.js';
import { type CrossingRow, crossingView } from './present.js';
import { normalizeSerialNumber } from '../items/schemas.js';
import { type KeyRecord, lockAndFindKey } from '../../http/idempotency.js';
import { type DeskItem, type DocumentQuery, findTravellers, findTravellersAndLockItems, lockItems, resolveSerials, type TravellerCard } from './queries.js';

export interface TravellerRef {
  document?: { kind: string; number: string; issuingCountry?: string | undefined } | undefined;
  mrz?: string | undefined;
}

export interface Identification {
  query: DocumentQuery;
  mrz: MrzFacts | null;
  /** What to record of the document without writing the number into logs. */
  kind: string;
  number: string;
}

/**
 * Turns what the officer typed or scanned into a document query: the number is
 * validated and normalised as on registration, an MRZ has every check digit verified.
 */
export function identify(ref: TravellerRef, pathPrefix: string, now: Date): Identification {
  if (ref.document) {
    const v = validateDocumentNumber(ref.document.kind as DocumentKind, ref.document.number);
    if (!v.ok) throw new ValidationError([{ path: `${pathPrefix}document.number`, message: v.message }]);
    return {
      query: { by: 'document', kind: ref.document.kind, number: v.normalized, issuingCountry: ref.document.issuingCountry },
      mrz: null,
      kind: ref.document.kind,
      number: v.normalized,
    };
  }
  const parsed = parseMrz(ref.mrz ?? '', now);
  if (!parsed.ok) {
    throw new ValidationError(
      parsed.errors.map((e) => ({ path: `${pathPrefix}mrz.${e.field}`, message: e.message })),
      `The MRZ is not valid: ${parsed.errors.map((e) => e.message).join('; ')}`,
    );
  }
  const passportOnly = parsed.format === 'TD3' || parsed.documentCode.startsWith('P');
  return {
    query: { by: 'mrz', number: parsed.documentNumber, issuingState: parsed.issuingState, passportOnly },
    mrz: { dateOfBirth: parsed.dateOfBirth, nationality: parsed.nationality, expiresOn: parsed.expiresOn },
    kind: passportOnly ? 'passport' : 'mrz_td1',
    number: parsed.documentNumber,
  };
}

export async function findTraveller(conn: Conn, id: Identification, pathPrefix: string): Promise<TravellerCard | null> {
  return onlyTraveller(await findTravellers(conn, id.query), pathPrefix);
}

function onlyTraveller(found: TravellerCard[], pathPrefix: string): TravellerCard | null {
  if (found.length > 1) {
    throw new ValidationError(
      [{ path: `${pathPrefix}document.issuingCountry`, message: 'the same passport number exists for several countries: give issuingCountry' }],
      'More than one whitelisted document has this number',
    );
  }
  return found[0] ?? null;
}

/** Masks a document number for the audit log: kind and the last four characters. */
export function maskedNumber(n: string): string {
  return n.length <= 4 ? '*'.repeat(n.length) : `${'*'.repeat(n.length - 4)}${n.slice(-4)}`;
}

export function researcherState(
  status: TravellerCard['researcher']['status'],
  validUntil: string | null,
  now: Date,
): TravellerCard['researcher']['status'] | 'expired' {
  return status === 'approved' && validUntil !== null && validUntil < borderDate(now) ? 'expired' : status;
}

export function isOverdue(item: DeskItem, now: Date): boolean {
  return (
    item.category === 'equipment' &&
    item.currentSide !== null &&
    item.currentSide !== item.homeSide &&
    item.returnBy !== null &&
    new Date(item.returnBy).getTime() < now.getTime()
  );
}

export function presentCard(card: TravellerCard, id: Identification, now: Date, alerts: Reason[]) {
  const state = researcherState(card.researcher.status, card.researcher.validUntil, now);
  const today = borderDate(now);
  const doc = card.traveller.document;
  const inWindow =
    card.researcher.status === 'approved' &&
    (card.researcher.validFrom === null || card.researcher.validFrom <= today) &&
    (card.researcher.validUntil === null || card.researcher.validUntil >= today);
  return {
    researcher: { ...card.researcher, status: state },
    institution: card.institution,
    whitelist: {
      status: state,
      validFrom: card.researcher.validFrom,
      validUntil: card.researcher.validUntil,
      inGoodStanding: inWindow && card.institution.status === 'active',
    },
    document: { kind: doc.kind, number: doc.number, issuingCountry: doc.issuingCountry, expiresOn: doc.expiresOn },
    documentChecks: {
      expired: doc.expiresOn < today || (id.mrz?.expiresOn != null && id.mrz.expiresOn < today),
      mrz: id.mrz
        ? {
            dateOfBirthMatches: id.mrz.dateOfBirth === null || id.mrz.dateOfBirth === card.researcher.dateOfBirth,
            nationalityMatches: id.mrz.nationality === card.researcher.nationality,
            expiresOnMatches: id.mrz.expiresOn === null || id.mrz.expiresOn === doc.expiresOn,
          }
        : null,
    },
    items: card.custody.map((it) => ({
      id: it.id,
      name: it.name,
      category: it.category,
      status: it.status,
      validUntil: it.validUntil,
      homeSide: it.homeSide,
      currentSide: it.currentSide,
      returnBy: it.returnBy,
      overdue: isOverdue(it, now),
      remainingQuantity: it.remainingQuantity,
      unit: it.unit,
      serialNumber: it.serialNumber,
    })),
    alerts,
    lookedUpAt: now.toISOString(),
  };
}

export interface LookupDeps {
  db: Db;
  now: () => Date;
  /** Group-commits the lookup events: concurrent lookups share one audit transaction. */
  audit: AuditWriter;
}

/** The officer's lookup: the card, and an audit event saying who looked up whom, from where. */
export async function lookup(deps: LookupDeps, officer: Principal, ref: TravellerRef) {
  const now = deps.now();
  const id = identify(ref, '', now);
  const card = await findTraveller(deps.db, id, '');
  const audit: AuditEntry = {
    actor: actorOf(officer),
    role: officer.role,
    action: card ? 'clearance.lookup' : 'clearance.lookup_no_match',
    subject: card ? `researcher:${card.researcher.id}` : null,
    data: {
      checkpoint: officer.checkpoint ?? null,
      via: ref.mrz ? 'mrz' : 'document',
      documentKind: id.kind,
      documentNumber: maskedNumber(id.number),
    },
  };
  await deps.audit.append(audit, now);
  if (!card) throw new NotFoundError('Traveller', 'No whitelisted researcher holds this document');
  // What would flag this traveller before any item is declared (no random draw).
  const alerts = decide({
    traveller: card.traveller,
    mrz: id.mrz,
    direction: card.institution.side === 'SZ' ? 'SZ_TO_HK' : 'HK_TO_SZ',
    declared: [],
    heldItems: card.custody.filter((i) => i.category === 'equipment'),
    now,
    config: { randomInspectionRate: 0 },
    random: () => 1,
  }).reasons;
  return presentCard(card, id, now, alerts);
}

export interface CrossingInput {
  checkpoint: string;
  direction: Direction;
  traveller: TravellerRef;
  items: { itemId?: string | undefined; serialNumber?: string | undefined; quantity?: number | undefined; sha256?: string | undefined }[];
}

export interface CrossingDeps {
  now: () => Date;
  random: () => number;
  randomInspectionRate: number;
}

const DAY_MS = 86_400_000;

interface ItemChange {
  id: string;
  set_side: boolean;
  current_side: string | null;
  return_by: string | null;
  set_qty: boolean;
  remaining: number | null;
  bumps: number;
}

interface MovementRow {
  id: string;
  item_id: string;
  crossing_id: string;
  inspection_id: string | null;
  kind: 'moved' | 'consumed' | 'copied';
  from_side: string | null;
  to_side: string;
  quantity: number | null;
  remaining_after: number | null;
  return_by: string | null;
  at: string;
}

/**
 * What the movement of cleared (or released) items changes: the items (one change per
 * item, however many lines declare it) and the ledger rows. Pure; the declared items'
 * `currentSide` is updated in place, as the rest of the crossing sees it.
 */
function planMoves(
  crossingId: string,
  inspectionId: string | null,
  direction: Direction,
  lines: { item: DeskItem | null; quantity?: number | undefined }[],
  now: Date,
): { changes: ItemChange[]; movements: MovementRow[] } {
  const to = destinationSide(direction);
  const from = direction === 'SZ_TO_HK' ? 'SZ' : 'HK';
  const at = now.toISOString();
  const changes = new Map<string, ItemChange>();
  const movements: MovementRow[] = [];
  const drawn = new Map<string, number>();
  const movement = (item: DeskItem, m: Partial<MovementRow> & Pick<MovementRow, 'kind' | 'from_side'>): MovementRow => ({
    id: uuidv7(),
    item_id: item.id,
    crossing_id: crossingId,
    inspection_id: inspectionId,
    to_side: to,
    quantity: null,
    remaining_after: null,
    return_by: null,
    at,
    ...m,
  });
  for (const line of lines) {
    const item = line.item;
    if (!item) continue;
    if (item.category === 'equipment') {
      if (item.currentSide === to) continue; // already there (a second line of the same item, or a released mismatch)
      const returnBy =
        to === item.homeSide ? null : item.maxDaysAbroad !== null ? new Date(now.getTime() + item.maxDaysAbroad * DAY_MS).toISOString() : null;
      const change = changes.get(item.id) ?? { id: item.id, set_side: false, current_side: null, return_by: null, set_qty: false, remaining: null, bumps: 0 };
      changes.set(item.id, { ...change, set_side: true, current_side: to, return_by: returnBy, bumps: change.bumps + 1 });
      movements.push(movement(item, { kind: 'moved', from_side: item.currentSide, return_by: returnBy }));
      item.currentSide = to;
    } else if (item.category === 'reagent' || item.category === 'biological_sample') {
      const qty = line.quantity ?? 0;
      if (qty <= 0) continue;
      const before = (item.remainingQuantity ?? 0) - (drawn.get(item.id) ?? 0);
      const after = Math.max(0, before - qty);
      drawn.set(item.id, (drawn.get(item.id) ?? 0) + (before - after));
      const change = changes.get(item.id) ?? { id: item.id, set_side: false, current_side: null, return_by: null, set_qty: false, remaining: null, bumps: 0 };
      changes.set(item.id, { ...change, set_qty: true, remaining: after, bumps: change.bumps + 1 });
      movements.push(movement(item, { kind: 'consumed', from_side: from, quantity: qty, remaining_after: after }));
    } else {
      movements.push(movement(item, { kind: 'copied', from_side: from }));
    }
  }
  return { changes: [...changes.values()], movements };
}

/** The items' changes and the ledger rows of planMoves, as two CTEs; `$N` are numbered from `first`. */
function movesCtes(first: number): string {
  const [changes, movements, now] = [first, first + 1, first + 2];
  return `u as (
  update items it
     set current_side = case when x.set_side then x.current_side else it.current_side end,
         return_by = case when x.set_side then x.return_by else it.return_by end,
         remaining_quantity = case when x.set_qty then x.remaining else it.remaining_quantity end,
         updated_at = $${now}::timestamptz,
         version = it.version + x.bumps
    from jsonb_to_recordset($${changes}::jsonb)
      as x(id uuid, set_side boolean, current_side text, return_by timestamptz, set_qty boolean, remaining double precision, bumps int)
   where it.id = x.id),
m as (
  insert into item_movements (id, item_id, crossing_id, inspection_id, kind, from_side, to_side, quantity, remaining_after, return_by, at)
  select x.id, x.item_id, x.crossing_id, x.inspection_id, x.kind, x.from_side, x.to_side, x.quantity, x.remaining_after, x.return_by, x.at
    from jsonb_to_recordset($${movements}::jsonb)
      as x(id uuid, item_id uuid, crossing_id uuid, inspection_id uuid, kind text, from_side text, to_side text,
           quantity double precision, remaining_after double precision, return_by timestamptz, at timestamptz))`;
}

/**
 * A crossing, its declared lines, what it moves, its audit event (linked at commit) and
 * its Idempotency-Key record: one statement.
 */
const WRITE_CROSSING = {
  name: 'hetao_write_crossing',
  text: `with c as (
  insert into crossings (id, checkpoint, direction, officer_id, researcher_id, institution_id, document_kind, document_number,
                         via_mrz, decision, reasons, reason_codes, decided_at)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::text[], $13::timestamptz)),
l as (
  insert into crossing_items (crossing_id, line, item_id, serial_number, quantity, sha256)
  select $1, x.line, x.item_id, x.serial_number, x.quantity, x.sha256
    from jsonb_to_recordset($14::jsonb) as x(line int, item_id uuid, serial_number text, quantity double precision, sha256 text)),
${movesCtes(15)},
o as (${outboxInsertSql(18)}),
k as (
  insert into idempotency_keys (principal, key, route, request_hash, status_code, response, headers)
  select $26, $27, $28, $29, $30, $31::jsonb, $32::jsonb where $26::text is not null)
select 1 as written`,
};

/** What an inspection that RELEASED the items moves: one statement. */
const WRITE_MOVES = { name: 'hetao_write_moves', text: `with ${movesCtes(1)}
select 1 as written` };

/** Applies the movement of released items. */
async function moveItems(
  tx: Conn,
  crossingId: string,
  inspectionId: string | null,
  direction: Direction,
  lines: { item: DeskItem | null; quantity?: number | undefined }[],
  now: Date,
): Promise<void> {
  const plan = planMoves(crossingId, inspectionId, direction, lines, now);
  if (plan.movements.length === 0) return;
  await preparedRows(tx, WRITE_MOVES, [JSON.stringify(plan.changes), JSON.stringify(plan.movements), now.toISOString()]);
}

/**
 * Declares a crossing: in one transaction, lock the declared items, decide, write
 * the crossing, move what a CLEARED crossing moves, append the audit event.
 */
export async function recordCrossing(tx: Conn, deps: CrossingDeps, officer: Principal, input: CrossingInput, key?: KeyRecord) {
  if (officer.checkpoint !== input.checkpoint) {
    throw new ForbiddenError(`You are posted to ${officer.checkpoint ?? 'no checkpoint'}: crossings are recorded at your own checkpoint only`);
  }
  const now = deps.now();
  const id = identify(input.traveller, 'traveller.', now);
  // Serial numbers are compared as registered: trimmed, spaces collapsed, upper case.
  input = { ...input, items: input.items.map((l) => (l.serialNumber ? { ...l, serialNumber: normalizeSerialNumber(l.serialNumber) } : l)) };
  const serials = input.items.flatMap((l) => (l.serialNumber ? [l.serialNumber] : []));
  let card: TravellerCard | null;
  let serialIds = new Map<string, string>();
  let locked: Map<string, DeskItem>;
  if (serials.length === 0) {
    // Items declared by id: the key's answer, the traveller and the locked items in one round trip.
    const read = await findTravellersAndLockItems(tx, id.query, input.items.flatMap((l) => (l.itemId ? [l.itemId] : [])), key);
    if (read.stored) return { replay: read.stored };
    card = onlyTraveller(read.cards, 'traveller.');
    locked = read.items;
  } else {
    if (key) {
      const stored = await lockAndFindKey(tx, key);
      if (stored) return { replay: stored };
    }
    // A serial is resolved against the traveller's custody first, so the traveller is read first.
    card = await findTraveller(tx, id, 'traveller.');
    serialIds = await resolveSerials(tx, serials, card?.researcher.id ?? null, card?.institution.id ?? null);
    const wantedIds = input.items.map((l) => l.itemId ?? serialIds.get(l.serialNumber ?? '')).filter((v): v is string => !!v);
    locked = await lockItems(tx, wantedIds);
  }

  const lines = input.items.map((l, index) => {
    const itemId = l.itemId ?? serialIds.get(l.serialNumber ?? '');
    const item = itemId ? (locked.get(itemId) ?? null) : null;
    return { index, ref: l, item };
  });
  const missingQty = lines.filter(
    (l) => l.item && (l.item.category === 'reagent' || l.item.category === 'biological_sample') && l.ref.quantity === undefined,
  );
  if (missingQty.length) {
    throw new ValidationError(missingQty.map((l) => ({ path: `items.${l.index}.quantity`, message: 'is required for reagents and biological samples' })));
  }

  const declared: DeclaredItem[] = lines.map((l) => ({
    ref: l.ref.itemId ? { itemId: l.ref.itemId } : { serialNumber: l.ref.serialNumber ?? '' },
    item: l.item,
    ...(l.ref.quantity !== undefined ? { quantity: l.ref.quantity } : {}),
    ...(l.ref.sha256 !== undefined ? { sha256: l.ref.sha256.toLowerCase() } : {}),
  }));
  const decision: Decision = decide({
    traveller: card?.traveller ?? null,
    mrz: id.mrz,
    direction: input.direction,
    declared,
    heldItems: card ? card.custody.filter((i) => i.category === 'equipment').map((i) => locked.get(i.id) ?? i) : [],
    now,
    config: { randomInspectionRate: deps.randomInspectionRate },
    random: deps.random,
  });

  const crossingId = uuidv7();
  const row: CrossingRow = {
    id: crossingId,
    checkpoint: input.checkpoint,
    direction: input.direction,
    officerId: officer.sub,
    researcherId: card?.researcher.id ?? null,
    institutionId: card?.institution.id ?? null,
    documentKind: id.kind,
    documentNumber: id.number,
    viaMrz: id.mrz !== null,
    decision: decision.decision,
    reasons: decision.reasons,
    reasonCodes: decision.reasons.map((r) => r.code),
    decidedAt: now,
  };
  const lineRows = lines.map((l) => ({
    line: l.index + 1,
    itemId: l.item?.id ?? null,
    serialNumber: l.item?.serialNumber ?? l.ref.serialNumber ?? null,
    quantity: l.ref.quantity ?? null,
    sha256: l.ref.sha256?.toLowerCase() ?? null,
  }));
  const plan =
    decision.decision === 'CLEARED'
      ? planMoves(crossingId, null, input.direction, lines.map((l) => ({ item: l.item, quantity: l.ref.quantity })), now)
      : { changes: [], movements: [] };
  const audit: AuditEntry = {
    actor: actorOf(officer),
    role: officer.role,
    action: 'crossing.decide',
    subject: `crossing:${crossingId}`,
    data: {
      checkpoint: input.checkpoint,
      direction: input.direction,
      decision: decision.decision,
      reasonCodes: decision.reasons.map((r) => r.code),
      researcherId: card?.researcher.id ?? null,
      documentKind: id.kind,
      documentNumber: maskedNumber(id.number),
      itemIds: lines.map((l) => l.item?.id ?? null),
    },
    at: now,
  };
  // The answer is shaped from what is about to be written, without reading it back.
  const view = crossingView(
    row,
    lineRows.map((l, i) => ({ ...l, name: lines[i]!.item?.name ?? null, category: lines[i]!.item?.category ?? null })),
    card
      ? {
          id: card.researcher.id,
          fullName: card.researcher.fullName,
          nameZh: card.researcher.nameZh,
          institutionId: card.institution.id,
          institutionName: card.institution.name,
        }
      : undefined,
    undefined,
  );
  const location = `/v1/crossings/${crossingId}`;
  await preparedRows(tx, WRITE_CROSSING, [
    row.id,
    row.checkpoint,
    row.direction,
    row.officerId,
    row.researcherId,
    row.institutionId,
    row.documentKind,
    row.documentNumber,
    row.viaMrz,
    row.decision,
    JSON.stringify(row.reasons),
    row.reasonCodes,
    now.toISOString(),
    JSON.stringify(
      lineRows.map((l) => ({ line: l.line, item_id: l.itemId, serial_number: l.serialNumber, quantity: l.quantity, sha256: l.sha256 })),
    ),
    JSON.stringify(plan.changes),
    JSON.stringify(plan.movements),
    now.toISOString(),
    ...outboxValues(audit, now),
    // The Idempotency-Key's record, in the same statement (null: no key).
    key?.principal ?? null,
    key?.key ?? null,
    key?.route ?? null,
    key?.requestHash ?? null,
    201,
    JSON.stringify(view),
    JSON.stringify({ location }),
  ]);
  return { crossingId, view, location, keyStored: key !== undefined };
}

/** Records the outcome of a FLAGGED crossing, once; RELEASED moves the items as if cleared. */
export async function recordInspection(
  tx: Conn,
  deps: { now: () => Date },
  officer: Principal,
  crossingId: string,
  body: { outcome: 'RELEASED' | 'DETAINED' | 'REFUSED_ENTRY'; notes: string },
) {
  const now = deps.now();
  const [crossing] = await tx.select().from(crossings).where(eq(crossings.id, crossingId)).for('update').limit(1);
  if (!crossing || crossing.checkpoint !== officer.checkpoint) throw new NotFoundError('Crossing');
  if (crossing.decision !== 'FLAGGED') {
    throw new ConflictError('Only a FLAGGED crossing takes an inspection outcome', 'CROSSING_NOT_FLAGGED');
  }
  const [existing] = await tx.select({ id: inspections.id }).from(inspections).where(eq(inspections.crossingId, crossingId)).limit(1);
  if (existing) throw new ConflictError('The outcome of this inspection is already recorded', 'INSPECTION_ALREADY_RECORDED');
  const inspectionId = uuidv7();
  await tx.insert(inspections).values({
    id: inspectionId,
    crossingId,
    outcome: body.outcome,
    notes: body.notes,
    officerId: officer.sub,
    checkpoint: officer.checkpoint!,
    recordedAt: now,
  });
  if (body.outcome === 'RELEASED') {
    const declared = await tx.select().from(crossingItems).where(eq(crossingItems.crossingId, crossingId)).orderBy(crossingItems.line);
    const locked = await lockItems(tx, declared.flatMap((d) => (d.itemId ? [d.itemId] : [])));
    await moveItems(
      tx,
      crossingId,
      inspectionId,
      crossing.direction,
      declared.map((d) => ({ item: d.itemId ? (locked.get(d.itemId) ?? null) : null, quantity: d.quantity ?? undefined })),
      now,
    );
  }
  await appendAuditAtCommit(
    tx,
    {
      actor: actorOf(officer),
      role: officer.role,
      action: 'crossing.inspection',
      subject: `crossing:${crossingId}`,
      data: { outcome: body.outcome, checkpoint: officer.checkpoint ?? null, inspectionId },
    },
    now,
  );
  return inspectionId;
}
