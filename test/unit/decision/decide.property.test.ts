import t from 'tap';
import fc from 'fast-check';
import { decide } from '../../../src/domain/decision/decide.js';
import {
  REASON_CODES,
  type DecisionInput,
  type DeclaredItem,
  type ItemRecord,
  type MrzFacts,
  type ReasonCode,
  type TravellerRecord,
} from '../../../src/domain/decision/types.js';

// Generators built from the types. Dates are drawn around `now` so that every
// validity comparison goes both ways. Birth dates come from a disjoint range so a
// leaked birth date can be detected in details without false positives.

const day = (d: Date): string => d.toISOString().slice(0, 10);
const dateStr = fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }).map(day);
const birthDate = fc.date({ min: new Date('1940-01-01T00:00:00Z'), max: new Date('1999-12-31T00:00:00Z'), noInvalidDate: true }).map(day);
const instant = fc.date({ min: new Date('2025-06-01T00:00:00Z'), max: new Date('2027-06-01T00:00:00Z'), noInvalidDate: true });
const timestamp = fc.oneof(
  instant.map((d) => d.toISOString()),
  instant.map((d) => new Date(d.getTime() + 8 * 3600_000).toISOString().replace('Z', '+08:00')),
  fc.constant('not-a-timestamp'),
);
const side = fc.constantFrom('SZ' as const, 'HK' as const);
const nationality = fc.constantFrom('CHN', 'HKG', 'GBR', 'USA');
const researcherId = fc.constantFrom('R-1', 'R-2', 'R-3');
const itemId = fc.constantFrom('IT-1', 'IT-2', 'IT-3', 'IT-4', 'IT-5');
const hex = fc.constantFrom(
  '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
  'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
);
const quantity = fc.oneof(
  fc.integer({ min: 0, max: 30 }),
  fc.double({ min: -5, max: 30 }), // includes NaN and infinities
);

const traveller: fc.Arbitrary<TravellerRecord> = fc.record({
  researcherId,
  fullName: fc.constantFrom('Chan Tai Man', 'Li Wei', 'Jane Doe'),
  status: fc.constantFrom('nominated', 'approved', 'rejected', 'suspended', 'revoked'),
  validFrom: fc.option(dateStr, { nil: null }),
  validUntil: fc.option(dateStr, { nil: null }),
  dateOfBirth: birthDate,
  nationality,
  institution: fc.record({
    id: fc.constantFrom('INST-1', 'INST-2'),
    name: fc.constantFrom('Hetao Institute', 'HKU Lab'),
    status: fc.constantFrom('active' as const, 'suspended' as const),
  }),
  document: fc.record({
    kind: fc.constantFrom('passport', 'exit_entry_permit'),
    number: fc.stringMatching(/^X[0-9]{8}$/),
    issuingCountry: nationality,
    expiresOn: dateStr,
    status: fc.constantFrom('pending' as const, 'approved' as const, 'rejected' as const, 'revoked' as const),
  }),
});

const mrz: fc.Arbitrary<MrzFacts> = fc.record({
  dateOfBirth: fc.option(birthDate, { nil: null }),
  nationality,
  expiresOn: fc.option(dateStr, { nil: null }),
});

const itemRecord: fc.Arbitrary<ItemRecord> = fc.record({
  id: itemId,
  name: fc.constantFrom('Laptop', 'Buffer', 'Cell line', 'Survey'),
  institutionId: fc.constantFrom('INST-1', 'INST-2'),
  category: fc.constantFrom('equipment', 'reagent', 'biological_sample', 'data'),
  status: fc.constantFrom('submitted', 'endorsed', 'approved', 'rejected', 'suspended', 'revoked'),
  validUntil: fc.option(dateStr, { nil: null }),
  custodianIds: fc.uniqueArray(researcherId, { maxLength: 3 }),
  homeSide: side,
  currentSide: fc.option(side, { nil: null }),
  returnBy: fc.option(timestamp, { nil: null }),
  remainingQuantity: fc.option(fc.integer({ min: 0, max: 25 }), { nil: null }),
  unit: fc.option(fc.constantFrom('ml', 'vials', 'g'), { nil: null }),
  sha256: fc.option(hex, { nil: null }),
  classification: fc.option(fc.constantFrom('public', 'internal', 'personal_information', 'important_data'), { nil: null }),
  transferApprovalReference: fc.option(fc.constantFrom('CAC-1', '', ' '), { nil: null }),
});

const declaredItem: fc.Arbitrary<DeclaredItem> = fc.record(
  {
    ref: fc.oneof(itemId.map((id) => ({ itemId: id })), fc.constantFrom('SN-A', 'SN-B').map((s) => ({ serialNumber: s }))),
    item: fc.option(itemRecord, { nil: null }),
    quantity,
    sha256: fc.oneof(hex, hex.map((h) => h.toUpperCase()), fc.constant('')),
  },
  { requiredKeys: ['ref', 'item'] },
);

interface Generated extends Omit<DecisionInput, 'random'> { draw: number }

const generated: fc.Arbitrary<Generated> = fc.record({
  traveller: fc.option(traveller, { nil: null, freq: 5 }),
  mrz: fc.option(mrz, { nil: null }),
  direction: fc.constantFrom('SZ_TO_HK' as const, 'HK_TO_SZ' as const),
  declared: fc.array(declaredItem, { maxLength: 6 }),
  heldItems: fc.array(itemRecord, { maxLength: 4 }),
  now: instant,
  config: fc.record({ randomInspectionRate: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })) }),
  draw: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

/** A fresh DecisionInput (deep copy) from generated data, with a counting random(). */
function materialise(g: Generated): { input: DecisionInput; calls: () => number } {
  const { draw, now, ...rest } = g;
  const copy = structuredClone(rest);
  let n = 0;
  return {
    input: { ...copy, now: new Date(now.getTime()), random: () => { n += 1; return draw; } },
    calls: () => n,
  };
}

const RUNS = { numRuns: 1000 };
const FIRST_ITEM_CODE = REASON_CODES.indexOf('ITEM_NOT_REGISTERED');
const TRAVELLER_CODES: readonly ReasonCode[] = REASON_CODES.slice(0, FIRST_ITEM_CODE);
const ITEM_CODES: readonly ReasonCode[] = REASON_CODES.slice(FIRST_ITEM_CODE, REASON_CODES.indexOf('RETURN_OVERDUE'));
const group = (c: ReasonCode): number =>
  TRAVELLER_CODES.includes(c) ? 0 : ITEM_CODES.includes(c) ? 1 : c === 'RETURN_OVERDUE' ? 2 : 3;

t.test('decide: total, well-formed, deterministic', async (t) => {
  fc.assert(
    fc.property(generated, (g) => {
      const { input, calls } = materialise(g);
      const before = JSON.stringify(input);
      const d = decide(input);

      // random() exactly once, input untouched
      if (calls() !== 1) return false;
      if (JSON.stringify(input) !== before) return false;

      // CLEARED iff no reasons; codes valid; details present
      if ((d.decision === 'CLEARED') !== (d.reasons.length === 0)) return false;
      if (d.decision !== 'CLEARED' && d.decision !== 'FLAGGED') return false;
      for (const r of d.reasons) {
        if (!(REASON_CODES as readonly string[]).includes(r.code)) return false;
        if (typeof r.detail !== 'string' || r.detail.length === 0) return false;
      }

      // deterministic: a fresh copy of the same input gives the same output
      const again = decide(materialise(g).input);
      return JSON.stringify(again) === JSON.stringify(d);
    }),
    RUNS,
  );
  t.pass('property held');
});

t.test('decide: structural invariants', async (t) => {
  fc.assert(
    fc.property(generated, (g) => {
      const { input } = materialise(g);
      const d = decide(input);
      const codes = d.reasons.map((r) => r.code);

      // traveller reasons first (in REASON_CODES order), then items, then overdue, then inspection
      const groups = codes.map(group);
      if (groups.some((x, k) => k > 0 && x < (groups[k - 1] ?? 0))) return false;
      const tIdx = codes.filter((c) => group(c) === 0).map((c) => REASON_CODES.indexOf(c));
      if (tIdx.some((x, k) => k > 0 && x <= (tIdx[k - 1] ?? -1))) return false;

      // TRAVELLER_NOT_WHITELISTED iff no traveller, and then it is the only traveller reason
      if (codes.includes('TRAVELLER_NOT_WHITELISTED') !== (input.traveller === null)) return false;
      if (input.traveller === null && tIdx.length !== 1) return false;

      // no duplicates (code + itemId) apart from unregistered refs; itemIds point at known items
      const known = new Set([...input.declared.flatMap((l) => (l.item ? [l.item.id] : [])), ...input.heldItems.map((h) => h.id)]);
      const keys = new Set<string>();
      for (const r of d.reasons) {
        if (r.code === 'ITEM_NOT_REGISTERED') {
          if (r.itemId !== undefined) return false;
          continue;
        }
        const key = `${r.code}|${r.itemId ?? ''}`;
        if (keys.has(key)) return false;
        keys.add(key);
        if (r.itemId !== undefined && !known.has(r.itemId)) return false;
        if (group(r.code) >= 1 && r.code !== 'RANDOM_INSPECTION' && r.itemId === undefined) return false;
      }
      const unregisteredRefs = new Set(input.declared.filter((l) => l.item === null).map((l) => JSON.stringify(l.ref)));
      if (codes.filter((c) => c === 'ITEM_NOT_REGISTERED').length !== unregisteredRefs.size) return false;

      // random inspection exactly as configured
      const inspected = input.config.randomInspectionRate > 0 && g.draw < input.config.randomInspectionRate;
      if (codes.includes('RANDOM_INSPECTION') !== inspected) return false;
      if (codes.filter((c) => c === 'RANDOM_INSPECTION').length > 1) return false;
      return true;
    }),
    RUNS,
  );
  t.pass('property held');
});

t.test('decide: details never contain document numbers or birth dates', async (t) => {
  fc.assert(
    fc.property(generated, (g) => {
      const { input } = materialise(g);
      const secrets = [input.traveller?.document.number, input.traveller?.dateOfBirth, input.mrz?.dateOfBirth].filter(
        (s): s is string => typeof s === 'string',
      );
      return decide(input).reasons.every((r) => secrets.every((s) => !r.detail.includes(s)));
    }),
    RUNS,
  );
  t.pass('property held');
});

t.test('decide: only the random draw changes the outcome between identical crossings', async (t) => {
  fc.assert(
    fc.property(generated, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (g, otherDraw) => {
      const a = decide(materialise(g).input).reasons.filter((r) => r.code !== 'RANDOM_INSPECTION');
      const b = decide(materialise({ ...g, draw: otherDraw }).input).reasons.filter((r) => r.code !== 'RANDOM_INSPECTION');
      return JSON.stringify(a) === JSON.stringify(b);
    }),
    RUNS,
  );
  t.pass('property held');
});
