import type { Reason } from '../../domain/decision/types.js';
import { borderDate } from '../../domain/border.js';
import type { Identification } from './identify.js';
import type { CrossingDetails, CrossingPerson, CrossingRow, InspectionRow, LedgerRow } from './ledger-queries.js';
import type { DeskItem, TravellerCard } from './queries.js';

export type { CrossingPerson, CrossingRow };

export interface CrossingLineView {
  line: number;
  itemId: string | null;
  serialNumber: string | null;
  name: string | null;
  category: DeskItem['category'] | null;
  quantity: number | null;
  sha256: string | null;
}

/** The answer shape of one crossing, from its parts: the one place that shapes it. */
export function crossingView(
  r: CrossingRow,
  lines: CrossingLineView[],
  person: CrossingPerson | undefined,
  inspection: InspectionRow | undefined,
) {
  return {
    id: r.id,
    decision: r.decision,
    reasons: r.reasons as Reason[],
    traveller: person
      ? {
          researcherId: person.id,
          fullName: person.fullName,
          nameZh: person.nameZh,
          institutionId: person.institutionId,
          institutionName: person.institutionName,
        }
      : null,
    document: { kind: r.documentKind, number: r.documentNumber },
    items: lines,
    checkpoint: r.checkpoint,
    direction: r.direction,
    decidedAt: r.decidedAt.toISOString(),
    officerId: r.officerId,
    inspection: inspection ? { ...inspection, recordedAt: inspection.recordedAt.toISOString() } : null,
  };
}

/** Crossings with their lines, traveller names and inspection (crossingDetails), in the order given. */
export function presentCrossings(rows: CrossingRow[], { lines, people, outcomes }: CrossingDetails) {
  return rows.map((r) =>
    crossingView(
      r,
      lines
        .filter((l) => l.crossingId === r.id)
        .map(({ crossingId: _c, ...l }) => l),
      people.find((p) => p.id === r.researcherId),
      outcomes.find((o) => o.crossingId === r.id),
    ),
  );
}

export function presentInspection(row: InspectionRow) {
  return { ...row, recordedAt: row.recordedAt.toISOString() };
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

/** The item ledger's rows as the answer lists them. */
export function presentLedger(itemId: string, entries: LedgerRow[]) {
  const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());
  return {
    itemId,
    entries: entries.map((e) => ({
      at: iso(e.at)!,
      kind: e.kind,
      actor: e.actor,
      crossingId: e.crossing_id,
      inspectionId: e.inspection_id,
      fromSide: e.from_side,
      toSide: e.to_side,
      quantity: e.quantity === null ? null : Number(e.quantity),
      remainingAfter: e.remaining_after === null ? null : Number(e.remaining_after),
      returnBy: iso(e.return_by),
      status: e.status,
      reason: e.reason,
    })),
  };
}
