import { eq } from 'drizzle-orm';
import { appendAuditAtCommit, type AuditEntry, journalRecord } from '../../audit/chain.js';
import type { AuditSealer } from '../../audit/sealer.js';
import { actorOf, type Principal } from '../../auth/principal.js';
import { borderDate, destinationSide, originSide } from '../../domain/border.js';
import { decide } from '../../domain/decision/decide.js';
import type { DeclaredItem, Decision, Direction, MrzFacts, Reason } from '../../domain/decision/types.js';
import { type Conn, preparedRows } from '../../db/client.js';
import { crossingItems, crossings, inspections } from '../../db/schema.js';
import { type DocumentKind, parseMrz, validateDocumentNumber } from '../../domain/documents/index.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { uuidv7 } from '../../lib/ids.js';
import { type CrossingRow, crossingView } from './present.js';
import type { CrossingWriter } from './writer.js';
import type { CrossingReader, TravellerReader } from './reader.js';
import { normalizeSerialNumber } from '../items/schemas.js';
import { type KeyRecord, lockAndFindKey, type StoredAnswer } from '../../http/idempotency.js';
import { type DeskItem, type DocumentQuery, findTravellers, findTravellersAndItems, lockItems, resolveSerials, type TravellerCard } from './queries.js';

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
      inGoodStanding: inWindow && card.institution.status === 'active' && doc.status === 'approved',
    },
    document: { kind: doc.kind, number: doc.number, issuingCountry: doc.issuingCountry, expiresOn: doc.expiresOn, status: doc.status },
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
      sha256: it.sha256,
      sizeBytes: it.sizeBytes,
    })),
    alerts,
    lookedUpAt: now.toISOString(),
  };
}

export interface LookupDeps {
  /** Reads the traveller and writes the lookup's audit event to the journal, in one statement, batched when reads pile up. */
  reader: TravellerReader;
  now: () => Date;
  /** Moves the journal's events into the chain, soon after. */
  sealer: AuditSealer;
}

/**
 * The officer's lookup: the card, and an audit event saying who looked up whom, from
 * where — written to the audit journal by the read's own statement, so that it has
 * committed before the answer leaves, whatever the answer (a card, or no match).
 */
export async function lookup(
  deps: LookupDeps,
  officer: Principal,
  ref: TravellerRef,
  /** Told how long the lookup's statement (its read and its audit event, committed) took (Server-Timing). */
  onStage?: (name: 'db', ms: number) => void,
) {
  const now = deps.now();
  const id = identify(ref, '', now);
  const started = performance.now();
  const found = await deps.reader.read({
    query: id.query,
    audit: {
      at: now,
      actor: actorOf(officer),
      role: officer.role,
      data: {
        checkpoint: officer.checkpoint ?? null,
        via: ref.mrz ? 'mrz' : 'document',
        documentKind: id.kind,
        documentNumber: maskedNumber(id.number),
      },
    },
  });
  onStage?.('db', performance.now() - started);
  deps.sealer.kick();
  const card = onlyTraveller(found, '');
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
  const from = originSide(direction);
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
export async function writeCrossings(conn: Conn, planned: PlannedCrossing[]): Promise<Set<number>> {
  const rows = await preparedRows<{ idx: number }>(conn, WRITE_CROSSINGS, [JSON.stringify(planned.map((p, idx) => ({ idx, ...p.record })))]);
  return new Set(rows.map((r) => r.idx));
}

/** What an inspection that RELEASED the items moves: one statement. */
const WRITE_MOVES = {
  name: 'hetao_write_moves',
  text: `with ${movesCtes({ from: '', changes: '$1::jsonb', movements: '$2::jsonb', now: '$3::timestamptz' })}
select 1 as written`,
};

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

/** A crossing decided and ready to be written: its answer, and the record WRITE_CROSSINGS takes. */
export interface PlannedCrossing {
  crossingId: string;
  view: ReturnType<typeof crossingView>;
  location: string;
  /** The declared items that were found: a batch never holds two crossings of the same item. */
  itemIds: string[];
  /** `principal key` of the Idempotency-Key, if any: nor two with the same key. */
  keyId: string | null;
  record: Record<string, unknown>;
}

/** A declaration checked and normalised: who the traveller is, which serial numbers are declared. */
interface Declaration {
  input: CrossingInput;
  id: Identification;
  serials: string[];
  /** The item ids declared as such (not by serial number). */
  itemIds: string[];
  now: Date;
}

function declaration(deps: CrossingDeps, officer: Principal, input: CrossingInput): Declaration {
  if (officer.checkpoint !== input.checkpoint) {
    throw new ForbiddenError(`You are posted to ${officer.checkpoint ?? 'no checkpoint'}: crossings are recorded at your own checkpoint only`);
  }
  const now = deps.now();
  const id = identify(input.traveller, 'traveller.', now);
  // Serial numbers are compared as registered: trimmed, spaces collapsed, upper case.
  input = { ...input, items: input.items.map((l) => (l.serialNumber ? { ...l, serialNumber: normalizeSerialNumber(l.serialNumber) } : l)) };
  const serials = input.items.flatMap((l) => (l.serialNumber ? [l.serialNumber] : []));
  return { input, id, serials, itemIds: input.items.flatMap((l) => (l.itemId ? [l.itemId] : [])), now };
}

/** Decides a crossing on what was read, and shapes what is to be written and answered. */
function planCrossing(
  deps: CrossingDeps,
  officer: Principal,
  { input, id, now }: Declaration,
  card: TravellerCard | null,
  found: Map<string, DeskItem>,
  serialIds: Map<string, string>,
  key: KeyRecord | undefined,
): PlannedCrossing {
  const lines = input.items.map((l, index) => {
    const itemId = l.itemId ?? serialIds.get(l.serialNumber ?? '');
    const item = itemId ? (found.get(itemId) ?? null) : null;
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
    heldItems: card ? card.custody.filter((i) => i.category === 'equipment').map((i) => found.get(i.id) ?? i) : [],
    now,
    config: { randomInspectionRate: deps.randomInspectionRate },
    random: deps.random,
  });
  // What the decision was made on: checked again when the crossing is written.
  const expect = [...found.values()].map((it) => ({ id: it.id, version: it.version }));

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
  const decidedAt = now.toISOString();
  return {
    crossingId,
    view,
    location,
    itemIds: expect.map((e) => e.id),
    keyId: key ? `${key.principal} ${key.key}` : null,
    record: {
      id: row.id,
      checkpoint: row.checkpoint,
      direction: row.direction,
      officer_id: row.officerId,
      researcher_id: row.researcherId,
      institution_id: row.institutionId,
      document_kind: row.documentKind,
      document_number: row.documentNumber,
      via_mrz: row.viaMrz,
      decision: row.decision,
      reasons: row.reasons,
      reason_codes: row.reasonCodes,
      decided_at: decidedAt,
      lines: lineRows.map((l) => ({ line: l.line, item_id: l.itemId, serial_number: l.serialNumber, quantity: l.quantity, sha256: l.sha256 })),
      expect,
      changes: plan.changes,
      movements: plan.movements,
      ...journalRecord(audit, now),
      // The Idempotency-Key's record (null: no key).
      key_principal: key?.principal ?? null,
      key_value: key?.key ?? null,
      key_route: key?.route ?? null,
      request_hash: key?.requestHash ?? null,
      response: view,
      headers: { location },
    },
  };
}

/**
 * Declares a crossing inside its transaction: lock the declared items, decide, write the
 * crossing, move what a CLEARED crossing moves, write the audit event to the journal.
 */
export async function recordCrossing(tx: Conn, deps: CrossingDeps, officer: Principal, input: CrossingInput, key?: KeyRecord) {
  const d = declaration(deps, officer, input);
  let card: TravellerCard | null;
  let serialIds = new Map<string, string>();
  let locked: Map<string, DeskItem>;
  if (d.serials.length === 0) {
    // Items declared by id: the key's answer, the traveller and the locked items in one round trip.
    const read = await findTravellersAndItems(tx, d.id.query, d.itemIds, key, true);
    if (read.stored) return { replay: read.stored };
    card = onlyTraveller(read.cards, 'traveller.');
    locked = read.items;
  } else {
    if (key) {
      const stored = await lockAndFindKey(tx, key);
      if (stored) return { replay: stored };
    }
    // A serial is resolved against the traveller's custody first, so the traveller is read first.
    card = await findTraveller(tx, d.id, 'traveller.');
    serialIds = await resolveSerials(tx, d.serials, card?.researcher.id ?? null, card?.institution.id ?? null);
    const wantedIds = d.input.items.map((l) => l.itemId ?? serialIds.get(l.serialNumber ?? '')).filter((v): v is string => !!v);
    locked = await lockItems(tx, wantedIds);
  }
  const planned = planCrossing(deps, officer, d, card, locked, serialIds, key);
  // The items are locked and the key's lock is held: nothing can have gone stale.
  const written = await writeCrossings(tx, [planned]);
  if (!written.has(0)) throw new Error('a crossing decided under its locks was not written');
  return { crossingId: planned.crossingId, view: planned.view, location: planned.location, keyStored: key !== undefined };
}

/**
 * The optimistic crossing's first half, for items declared by id: read without a
 * transaction or a lock (the key's stored answer, the traveller, the items) and decide.
 * Undefined when serial numbers are declared (they are resolved under locks).
 */
export async function readAndPlanCrossing(
  reader: CrossingReader,
  deps: CrossingDeps,
  officer: Principal,
  input: CrossingInput,
  key: KeyRecord | undefined,
): Promise<{ replay: StoredAnswer } | PlannedCrossing | undefined> {
  const d = declaration(deps, officer, input);
  if (d.serials.length > 0) return undefined;
  const read = await reader.read({ query: d.id.query, itemIds: d.itemIds, key });
  if (read.stored) return { replay: read.stored };
  return planCrossing(deps, officer, d, onlyTraveller(read.cards, 'traveller.'), read.items, new Map(), key);
}

/**
 * The optimistic crossing: read (through the CrossingReader, which sends the reads that
 * pile up together) and decided without locks (readAndPlanCrossing), then
 * handed to the CrossingWriter, which writes it — with the others arriving at the same
 * time, in one statement — only if what it was decided on still holds. Answers undefined
 * when it was not written (serial numbers declared, an item changed since it was read,
 * the key answered meanwhile, a failed batch): the caller then declares it again inside
 * a transaction, under locks (recordCrossing).
 */
export async function tryRecordCrossing(
  reader: CrossingReader,
  writer: CrossingWriter,
  deps: CrossingDeps,
  officer: Principal,
  input: CrossingInput,
  key: KeyRecord | undefined,
): Promise<{ replay: StoredAnswer } | { view: PlannedCrossing['view']; location: string } | undefined> {
  const planned = await readAndPlanCrossing(reader, deps, officer, input, key);
  if (!planned || 'replay' in planned) return planned;
  return (await writer.write(planned)) ? { view: planned.view, location: planned.location } : undefined;
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
