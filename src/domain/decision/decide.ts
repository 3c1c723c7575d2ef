// The clearance decision: a pure function of the records, the declaration, the
// clock and the configuration. No I/O; loading records and persisting the result
// happen elsewhere.
//
// Privacy rule for `detail`: never include document numbers, birth dates or any
// value read from the MRZ other than an expiry date. Details name fields, not values.

import type {
  DeclaredItem,
  Decision,
  DecisionInput,
  ItemRecord,
  Reason,
  ReasonCode,
  TravellerRecord,
} from './types.js';
import { borderDate, destinationSide } from '../border.js';

/** A 'YYYY-MM-DD' validity end D is valid through the whole of day D. */
function endedBefore(until: string | null, today: string): boolean {
  return until !== null && until < today;
}

function describeRef(ref: DeclaredItem['ref']): string {
  return 'serialNumber' in ref ? `serial number '${ref.serialNumber}'` : `id '${ref.itemId}'`;
}

function formatQuantity(quantity: number, unit: string | null): string {
  return unit ? `${quantity} ${unit}` : String(quantity);
}

/** Only finite, positive declared quantities count towards the running total. */
function countedQuantity(quantity: number | undefined): number {
  return quantity !== undefined && Number.isFinite(quantity) && quantity > 0 ? quantity : 0;
}

function travellerReasons(traveller: TravellerRecord | null, input: DecisionInput, today: string): Reason[] {
  if (traveller === null) {
    return [{ code: 'TRAVELLER_NOT_WHITELISTED', detail: 'No whitelisted researcher matches the presented document' }];
  }
  const reasons: Reason[] = [];

  switch (traveller.status) {
    case 'nominated':
    case 'rejected':
    case 'revoked':
      reasons.push({ code: 'TRAVELLER_NOT_APPROVED', detail: `Researcher whitelist status is '${traveller.status}'` });
      break;
    case 'suspended':
      reasons.push({ code: 'TRAVELLER_SUSPENDED', detail: 'Researcher whitelist entry is suspended' });
      break;
    case 'approved':
      if (traveller.validFrom !== null && traveller.validFrom > today) {
        reasons.push({ code: 'TRAVELLER_NOT_APPROVED', detail: `Whitelist validity does not start until ${traveller.validFrom}` });
      }
      if (endedBefore(traveller.validUntil, today)) {
        reasons.push({ code: 'WHITELIST_EXPIRED', detail: `Whitelist validity ended on ${traveller.validUntil}` });
      }
      break;
  }

  if (traveller.institution.status === 'suspended') {
    reasons.push({ code: 'INSTITUTION_SUSPENDED', detail: `Institution '${traveller.institution.name}' is suspended` });
  }

  const mrz = input.mrz;
  if (endedBefore(traveller.document.expiresOn, today)) {
    reasons.push({ code: 'DOCUMENT_EXPIRED', detail: `Travel document expired on ${traveller.document.expiresOn}` });
  } else if (mrz !== null && endedBefore(mrz.expiresOn, today)) {
    reasons.push({ code: 'DOCUMENT_EXPIRED', detail: `Travel document expired on ${mrz.expiresOn} according to its MRZ` });
  }

  if (mrz !== null) {
    const fields: string[] = [];
    if (mrz.dateOfBirth !== null && mrz.dateOfBirth !== traveller.dateOfBirth) fields.push('date of birth');
    if (mrz.nationality !== traveller.nationality) fields.push('nationality');
    if (fields.length > 0) {
      reasons.push({
        code: 'DOCUMENT_DATA_MISMATCH',
        detail: `MRZ ${fields.join(' and ')} ${fields.length > 1 ? 'do' : 'does'} not match the whitelist record`,
      });
    }
  }

  // A vetted researcher's document added later clears nobody until customs approves it too.
  // (A nomination's documents are vetted with it: TRAVELLER_NOT_APPROVED already says so.)
  if ((traveller.status === 'approved' || traveller.status === 'suspended') && traveller.document.status !== 'approved') {
    reasons.push({
      code: 'DOCUMENT_NOT_APPROVED',
      detail: `The presented document is ${traveller.document.status === 'pending' ? 'pending approval by customs' : traveller.document.status}`,
    });
  }
  return reasons;
}

function declaredItemReasons(
  line: DeclaredItem,
  item: ItemRecord,
  input: DecisionInput,
  today: string,
  runningTotals: Map<string, number>,
): Reason[] {
  const reasons: Reason[] = [];
  const add = (code: ReasonCode, detail: string): void => {
    reasons.push({ code, itemId: item.id, detail });
  };
  const label = `Item '${item.name}'`;

  if (item.status !== 'approved') {
    add('ITEM_NOT_APPROVED', `${label} has status '${item.status}'`);
  } else if (endedBefore(item.validUntil, today)) {
    add('ITEM_EXPIRED', `${label} approval ended on ${item.validUntil}`);
  }

  const traveller = input.traveller;
  if (traveller === null || !item.custodianIds.includes(traveller.researcherId)) {
    add('ITEM_NOT_IN_CUSTODY', `${label} may not be carried by this traveller`);
  }

  switch (item.category) {
    case 'equipment': {
      const destination = destinationSide(input.direction);
      if (item.currentSide === destination) {
        add('ITEM_LOCATION_MISMATCH', `${label} is already recorded on the ${destination} side`);
      }
      break;
    }
    case 'reagent':
    case 'biological_sample': {
      const total = (runningTotals.get(item.id) ?? 0) + countedQuantity(line.quantity);
      runningTotals.set(item.id, total);
      if (line.quantity !== undefined) {
        if (item.remainingQuantity === null) {
          if (total > 0) add('QUANTITY_EXCEEDED', `${label} has no remaining quantity on record`);
        } else if (total > item.remainingQuantity) {
          add(
            'QUANTITY_EXCEEDED',
            `${label}: ${formatQuantity(total, item.unit)} declared, only ${formatQuantity(item.remainingQuantity, item.unit)} remaining`,
          );
        }
      }
      break;
    }
    case 'data': {
      if (line.sha256 === undefined || line.sha256 === '') {
        add('DATA_DIGEST_MISMATCH', `No SHA-256 digest was declared for ${label}`);
      } else if (item.sha256 === null || line.sha256.toLowerCase() !== item.sha256.toLowerCase()) {
        add('DATA_DIGEST_MISMATCH', `Declared SHA-256 digest of ${label} does not match the registered digest`);
      }
      const sensitive = item.classification === 'personal_information' || item.classification === 'important_data';
      const hasApproval = item.transferApprovalReference !== null && item.transferApprovalReference.trim() !== '';
      if (input.direction === 'SZ_TO_HK' && sensitive && !hasApproval) {
        add(
          'DATA_TRANSFER_APPROVAL_MISSING',
          `${label} is classified '${item.classification}' and has no cross-border transfer approval`,
        );
      }
      break;
    }
  }
  return reasons;
}

export function decide(input: DecisionInput): Decision {
  const today = borderDate(input.now);
  const reasons: Reason[] = [];
  const seen = new Set<string>();
  const push = (reason: Reason, key: string): void => {
    if (seen.has(key)) return;
    seen.add(key);
    reasons.push(reason);
  };
  const keyOf = (reason: Reason): string => `${reason.code}\u0000${reason.itemId ?? ''}`;

  for (const r of travellerReasons(input.traveller, input, today)) push(r, keyOf(r));

  const runningTotals = new Map<string, number>();
  for (const line of input.declared) {
    if (line.item === null) {
      // No itemId to key on: the same unknown ref declared twice is reported once,
      // two different unknown refs are reported separately.
      const ref = describeRef(line.ref);
      push({ code: 'ITEM_NOT_REGISTERED', detail: `No registered item matches ${ref}` }, `ITEM_NOT_REGISTERED\u0000ref\u0000${ref}`);
      continue;
    }
    for (const r of declaredItemReasons(line, line.item, input, today, runningTotals)) push(r, keyOf(r));
  }

  const destination = destinationSide(input.direction);
  const nowMs = input.now.getTime();
  for (const held of input.heldItems) {
    if (held.category !== 'equipment') continue;
    if (held.currentSide === null || held.currentSide === held.homeSide) continue;
    if (held.returnBy === null) continue;
    const due = Date.parse(held.returnBy);
    if (!Number.isFinite(due) || !(due < nowMs)) continue;
    const beingReturned =
      destination === held.homeSide && input.declared.some((line) => line.item !== null && line.item.id === held.id);
    if (beingReturned) continue;
    const r: Reason = {
      code: 'RETURN_OVERDUE',
      itemId: held.id,
      detail: `Item '${held.name}' was due back on the ${held.homeSide} side by ${held.returnBy}`,
    };
    push(r, keyOf(r));
  }

  // Always draw exactly once so that injected sequences stay aligned across decisions.
  const draw = input.random();
  const rate = input.config.randomInspectionRate;
  if (rate > 0 && draw < rate) {
    push({ code: 'RANDOM_INSPECTION', detail: 'Selected for random inspection' }, 'RANDOM_INSPECTION');
  }

  return { decision: reasons.length === 0 ? 'CLEARED' : 'FLAGGED', reasons };
}
