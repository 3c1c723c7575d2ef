import { appendAuditAtCommit } from '../../audit/chain.js';
import type { AuditSealer } from '../../audit/sealer.js';
import { actorOf, type Principal } from '../../auth/principal.js';
import type { Config } from '../../config.js';
import type { Conn, Db } from '../../db/client.js';
import { decide } from '../../domain/decision/decide.js';
import { planMoves } from '../../domain/movements.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { type KeyRecord, lockAndFindKey, type StoredAnswer } from '../../db/idempotency-store.js';
import { paginate } from '../../http/pagination.js';
import { uuidv7 } from '../../lib/ids.js';
import { findTravellersAndItems, writeCrossings, writeMoves } from './crossing-queries.js';
import { identify, maskedNumber, onlyTraveller, type TravellerRef } from './identify.js';
import {
  type CrossingFilter,
  crossingDetails,
  declaredLines,
  findCrossing,
  findInspection,
  findItemOwner,
  hasInspection,
  insertInspection,
  isCustodian,
  itemLedger,
  listCrossings,
  lockCrossing,
} from './ledger-queries.js';
import { type CrossingDeps, type CrossingInput, declaration, type PlannedCrossing, planCrossing } from './plan.js';
import { presentCard, presentCrossings, presentInspection, presentLedger } from './present.js';
import { type DeskItem, findTravellers, lockItems, resolveSerials, type TravellerCard } from './queries.js';
import { CrossingReader, TravellerReader } from './reader.js';
import { CrossingWriter } from './writer.js';

export type { CrossingDeps, CrossingInput, PlannedCrossing, TravellerRef };

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
    card = onlyTraveller(await findTravellers(tx, d.id.query), 'traveller.');
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
 * The optimistic crossing: read (CrossingReader, batched when reads pile up) and decided
 * without locks, then written by the CrossingWriter with the others arriving at the same
 * time, only if what it was decided on still holds. Undefined when it was not written
 * (serial numbers declared, an item changed, the key answered meanwhile, a failed batch):
 * the caller then declares it again under locks (recordCrossing).
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

/** Records the outcome of a FLAGGED crossing, once; RELEASED moves the items as if cleared. Answers the inspection. */
export async function recordInspection(
  tx: Conn,
  deps: { now: () => Date },
  officer: Principal,
  crossingId: string,
  body: { outcome: 'RELEASED' | 'DETAINED' | 'REFUSED_ENTRY'; notes: string },
) {
  const now = deps.now();
  const crossing = await lockCrossing(tx, crossingId);
  if (!crossing || crossing.checkpoint !== officer.checkpoint) throw new NotFoundError('Crossing');
  if (crossing.decision !== 'FLAGGED') {
    throw new ConflictError('Only a FLAGGED crossing takes an inspection outcome', 'CROSSING_NOT_FLAGGED');
  }
  if (await hasInspection(tx, crossingId)) throw new ConflictError('The outcome of this inspection is already recorded', 'INSPECTION_ALREADY_RECORDED');
  const inspectionId = uuidv7();
  await insertInspection(tx, {
    id: inspectionId,
    crossingId,
    outcome: body.outcome,
    notes: body.notes,
    officerId: officer.sub,
    checkpoint: officer.checkpoint!,
    recordedAt: now,
  });
  if (body.outcome === 'RELEASED') {
    const declared = await declaredLines(tx, crossingId);
    const locked = await lockItems(tx, declared.flatMap((d) => (d.itemId ? [d.itemId] : [])));
    const lines = declared.map((d) => ({ item: d.itemId ? (locked.get(d.itemId) ?? null) : null, quantity: d.quantity ?? undefined }));
    const plan = planMoves(crossingId, inspectionId, crossing.direction, lines, now, uuidv7);
    if (plan.movements.length > 0) await writeMoves(tx, plan, now);
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
  // Read back as stored (the answer shows the row as Postgres keeps it).
  const row = await findInspection(tx, inspectionId);
  return presentInspection(row!);
}

export interface ClearanceServiceDeps {
  /** The primary: lookups, crossings, inspections, one crossing. */
  db: Db;
  /** The crossing list (a replica when READ_DATABASE_URL is set). */
  readDb: Db;
  now: () => Date;
  random: () => number;
  config: Pick<Config, 'clearance'>;
  sealer: AuditSealer;
}

/**
 * The clearance desk: built once (src/services.ts) with its batching readers and its
 * crossing writer, so that the desks of every checkpoint share their statements.
 */
export function clearanceService({ db, readDb, now, random, config, sealer }: ClearanceServiceDeps) {
  const travellerReader = new TravellerReader(db, config.clearance.lookupSynchronousCommit);
  const crossingReader = new CrossingReader(db);
  const crossingWriter = new CrossingWriter(db);
  const crossingDeps: CrossingDeps = { now, random, randomInspectionRate: config.clearance.randomInspectionRate };

  return {
    travellerReader,
    crossingReader,
    crossingWriter,

    lookup: (officer: Principal, ref: TravellerRef, onStage?: (name: 'db', ms: number) => void) =>
      lookup({ reader: travellerReader, now, sealer }, officer, ref, onStage),

    /** The optimistic crossing (tryRecordCrossing); its audit event, once written, is sealed soon after. */
    async tryRecordCrossing(officer: Principal, input: CrossingInput, key: KeyRecord | undefined) {
      const fast = await tryRecordCrossing(crossingReader, crossingWriter, crossingDeps, officer, input, key);
      if (fast && !('replay' in fast)) sealer.kick();
      return fast;
    },

    /** The crossing under locks, inside the caller's transaction; the caller kicks the sealer once it commits. */
    recordCrossing: (tx: Conn, officer: Principal, input: CrossingInput, key?: KeyRecord) => recordCrossing(tx, crossingDeps, officer, input, key),

    recordInspection: (tx: Conn, officer: Principal, crossingId: string, body: Parameters<typeof recordInspection>[4]) =>
      recordInspection(tx, { now }, officer, crossingId, body),

    /** A page of the crossings `me` may see, with their details (read from the read database). */
    async listCrossings(me: Principal, filter: CrossingFilter) {
      const page = paginate(await listCrossings(readDb, me, filter), filter.limit, (r) => r.id);
      const items = page.items.length === 0 ? [] : presentCrossings(page.items, await crossingDetails(readDb, page.items));
      return { items, nextCursor: page.nextCursor };
    },

    async getCrossing(me: Principal, id: string) {
      const rows = await findCrossing(db, me, id);
      if (rows.length === 0) throw new NotFoundError('Crossing');
      return presentCrossings(rows, await crossingDetails(db, rows))[0]!;
    },

    /** The item ledger, for whoever may see the item (a researcher: one of its custodians). */
    async itemHistory(me: Principal, itemId: string) {
      const item = await findItemOwner(db, itemId);
      if (!item) throw new NotFoundError('Item');
      if (me.role === 'institution_admin' && me.institutionId !== item.institutionId) throw new NotFoundError('Item');
      if (me.role === 'researcher' && !(await isCustodian(db, item.id, me.researcherId ?? null))) throw new NotFoundError('Item');
      return presentLedger(item.id, await itemLedger(db, item.id));
    },

    /** Waits for the crossings still queued in the writer (shutdown; before the sealer's last seal). */
    close: () => crossingWriter.close(),
  };
}

export type ClearanceService = ReturnType<typeof clearanceService>;
