import { type AuditEntry, journalRecord } from '../../audit/chain.js';
import { actorOf, type Principal } from '../../auth/principal.js';
import { decide } from '../../domain/decision/decide.js';
import type { DeclaredItem, Decision, Direction } from '../../domain/decision/types.js';
import { planMoves } from '../../domain/movements.js';
import { ForbiddenError, ValidationError } from '../../errors.js';
import type { KeyRecord } from '../../db/idempotency-store.js';
import { uuidv7 } from '../../lib/ids.js';
import { normalizeSerialNumber } from '../items/schemas.js';
import { type Identification, identify, maskedNumber, type TravellerRef } from './identify.js';
import type { CrossingRow } from './ledger-queries.js';
import { crossingView } from './present.js';
import type { DeskItem, TravellerCard } from './queries.js';

// Planning a crossing: the declaration checked, decided on what was read, and shaped into what is
// written (WRITE_CROSSINGS) and answered. Pure but for the ids it draws.

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
export interface Declaration {
  input: CrossingInput;
  id: Identification;
  serials: string[];
  /** The item ids declared as such (not by serial number). */
  itemIds: string[];
  now: Date;
}

/** Checks the officer's post and the traveller's document, and normalises the declared serial numbers. */
export function declaration(deps: CrossingDeps, officer: Principal, input: CrossingInput): Declaration {
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
export function planCrossing(
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
      ? planMoves(crossingId, null, input.direction, lines.map((l) => ({ item: l.item, quantity: l.ref.quantity })), now, uuidv7)
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
