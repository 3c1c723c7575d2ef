import t from 'tap';
import { borderDate, destinationSide, originSide } from '../../../src/domain/border.js';
import { decide } from '../../../src/domain/decision/decide.js';
import {
  REASON_CODES,
  type DecisionInput,
  type DeclaredItem,
  type ItemRecord,
  type ItemStatus,
  type ReasonCode,
  type TravellerRecord,
} from '../../../src/domain/decision/types.js';

// ---------------------------------------------------------------------------
// Builders: a fully valid baseline that must come out CLEARED.
// ---------------------------------------------------------------------------

const NOW = new Date('2026-03-01T04:00:00Z'); // 12:00 on 2026-03-01 at the border
const TODAY = '2026-03-01';
const YESTERDAY = '2026-02-28';
const TOMORROW = '2026-03-02';
const DOB = '1985-06-15';
const DOC_NUMBER = 'E12345678';
const DIGEST = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const OTHER_DIGEST = 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9';

function traveller(over: Partial<TravellerRecord> = {}): TravellerRecord {
  return {
    researcherId: 'R-001',
    fullName: 'Chan Tai Man',
    status: 'approved',
    validFrom: '2025-01-01',
    validUntil: '2026-10-31',
    dateOfBirth: DOB,
    nationality: 'CHN',
    institution: { id: 'INST-1', name: 'Hetao Institute of Materials', status: 'active' },
    document: { kind: 'exit_entry_permit', number: DOC_NUMBER, issuingCountry: 'CHN', expiresOn: '2030-01-01', status: 'approved' },
    ...over,
  };
}

function item(over: Partial<ItemRecord> & Pick<ItemRecord, 'id' | 'name' | 'category'>): ItemRecord {
  return {
    institutionId: 'INST-1',
    status: 'approved',
    validUntil: '2026-12-31',
    custodianIds: ['R-001', 'R-002'],
    homeSide: 'SZ',
    currentSide: null,
    returnBy: null,
    remainingQuantity: null,
    unit: null,
    sha256: null,
    classification: null,
    transferApprovalReference: null,
    ...over,
  };
}

const laptop = (over: Partial<ItemRecord> = {}): ItemRecord =>
  item({ id: 'EQ-1', name: 'Dell XPS laptop', category: 'equipment', currentSide: 'SZ', ...over });
const microscope = (over: Partial<ItemRecord> = {}): ItemRecord =>
  item({ id: 'EQ-2', name: 'Portable microscope', category: 'equipment', currentSide: 'SZ', ...over });
const reagent = (over: Partial<ItemRecord> = {}): ItemRecord =>
  item({ id: 'RG-1', name: 'Tris buffer', category: 'reagent', remainingQuantity: 100, unit: 'ml', ...over });
const sample = (over: Partial<ItemRecord> = {}): ItemRecord =>
  item({ id: 'BS-1', name: 'Cell line HEK293', category: 'biological_sample', remainingQuantity: 5, unit: 'vials', ...over });
const dataset = (over: Partial<ItemRecord> = {}): ItemRecord =>
  item({
    id: 'DT-1',
    name: 'Cohort survey 2025',
    category: 'data',
    sha256: DIGEST,
    classification: 'personal_information',
    transferApprovalReference: 'CAC-2026-0042',
    ...over,
  });

/**
 * Baseline: approved traveller going SZ -> HK with one of each item category.
 * The laptop record is shared between `declared` and `heldItems`, like the real loader would.
 */
function build(mutate?: (i: DecisionInput) => void): DecisionInput {
  const eq = laptop();
  const input: DecisionInput = {
    traveller: traveller(),
    mrz: { dateOfBirth: DOB, nationality: 'CHN', expiresOn: '2030-01-01' },
    direction: 'SZ_TO_HK',
    declared: [
      { ref: { serialNumber: 'SN-XPS-0001' }, item: eq },
      { ref: { itemId: 'RG-1' }, item: reagent(), quantity: 10 },
      { ref: { itemId: 'BS-1' }, item: sample(), quantity: 2 },
      { ref: { itemId: 'DT-1' }, item: dataset(), sha256: DIGEST },
    ],
    heldItems: [eq],
    now: NOW,
    config: { randomInspectionRate: 0.05 },
    random: () => 0.99,
  };
  mutate?.(input);
  return input;
}

/** The declared line for an item id (throws if absent, so typos fail loudly). */
function line(i: DecisionInput, id: string): DeclaredItem {
  const found = i.declared.find((l) => l.item?.id === id);
  if (!found) throw new Error(`no declared line for ${id}`);
  return found;
}
function rec(i: DecisionInput, id: string): ItemRecord {
  const r = line(i, id).item;
  if (!r) throw new Error(`line ${id} has no record`);
  return r;
}
function trav(i: DecisionInput): TravellerRecord {
  if (!i.traveller) throw new Error('no traveller');
  return i.traveller;
}

type Expected = { code: ReasonCode; itemId?: string };
const summary = (i: DecisionInput): Expected[] =>
  decide(i).reasons.map((r) => (r.itemId === undefined ? { code: r.code } : { code: r.code, itemId: r.itemId }));

// ---------------------------------------------------------------------------

t.test('helpers', async (t) => {
  t.equal(destinationSide('SZ_TO_HK'), 'HK');
  t.equal(destinationSide('HK_TO_SZ'), 'SZ');
  t.equal(originSide('SZ_TO_HK'), 'SZ');
  t.equal(originSide('HK_TO_SZ'), 'HK');

  t.equal(borderDate(new Date('2026-03-01T04:00:00Z')), '2026-03-01');
  t.equal(borderDate(new Date('2026-03-01T15:59:59.999Z')), '2026-03-01', 'last ms before midnight at the border');
  t.equal(borderDate(new Date('2026-03-01T16:00:00Z')), '2026-03-02', 'midnight at the border');
  t.equal(borderDate(new Date('2026-02-28T16:00:00Z')), '2026-03-01', 'UTC date lags the border date');
  t.equal(borderDate(new Date('2026-12-31T16:00:00Z')), '2027-01-01', 'year rollover');
  t.equal(borderDate(new Date('2028-02-28T16:00:00Z')), '2028-02-29', 'leap day');
  t.throws(() => borderDate(new Date('not a date')), RangeError);
  t.throws(() => decide(build((i) => { i.now = new Date(Number.NaN); })), RangeError, 'a broken clock never yields a decision');
});

t.test('baseline is CLEARED', async (t) => {
  const d = decide(build());
  t.strictSame(d, { decision: 'CLEARED', reasons: [] });
});

// ---------------------------------------------------------------------------
// Every reason code alone.
// ---------------------------------------------------------------------------

interface Case { name: string; mutate: (i: DecisionInput) => void; expect: Expected[]; detail?: RegExp }

const itemStatuses: ItemStatus[] = ['submitted', 'endorsed', 'rejected', 'suspended', 'revoked'];

const alone: Case[] = [
  {
    name: 'no researcher matches the document',
    mutate: (i) => { i.traveller = null; i.declared = []; i.heldItems = []; },
    expect: [{ code: 'TRAVELLER_NOT_WHITELISTED' }],
  },
  ...(['nominated', 'rejected', 'revoked'] as const).map((status): Case => ({
    name: `traveller status ${status}`,
    mutate: (i) => { trav(i).status = status; },
    expect: [{ code: 'TRAVELLER_NOT_APPROVED' }],
    detail: new RegExp(status),
  })),
  {
    name: 'approved but validFrom is tomorrow',
    mutate: (i) => { trav(i).validFrom = TOMORROW; },
    expect: [{ code: 'TRAVELLER_NOT_APPROVED' }],
    detail: new RegExp(`not start until ${TOMORROW}`),
  },
  {
    name: 'traveller suspended',
    mutate: (i) => { trav(i).status = 'suspended'; },
    expect: [{ code: 'TRAVELLER_SUSPENDED' }],
  },
  {
    name: 'whitelist ended yesterday',
    mutate: (i) => { trav(i).validUntil = YESTERDAY; },
    expect: [{ code: 'WHITELIST_EXPIRED' }],
    detail: /^Whitelist validity ended on 2026-02-28$/,
  },
  {
    name: 'institution suspended',
    mutate: (i) => { trav(i).institution.status = 'suspended'; },
    expect: [{ code: 'INSTITUTION_SUSPENDED' }],
    detail: /Hetao Institute of Materials/,
  },
  ...(['pending', 'rejected', 'revoked'] as const).map((status): Case => ({
    name: `presented document ${status} (added after vetting)`,
    mutate: (i) => { trav(i).document.status = status; },
    expect: [{ code: 'DOCUMENT_NOT_APPROVED' }],
    detail: status === 'pending' ? /pending approval/ : new RegExp(status),
  })),
  {
    name: 'a nominated traveller with a pending document: the nomination is the reason, not the document',
    mutate: (i) => { trav(i).status = 'nominated'; trav(i).document.status = 'pending'; },
    expect: [{ code: 'TRAVELLER_NOT_APPROVED' }],
  },
  {
    name: 'presented document expired yesterday',
    mutate: (i) => { trav(i).document.expiresOn = YESTERDAY; },
    expect: [{ code: 'DOCUMENT_EXPIRED' }],
    detail: /2026-02-28/,
  },
  {
    name: 'MRZ says the document expired yesterday',
    mutate: (i) => { i.mrz = { dateOfBirth: DOB, nationality: 'CHN', expiresOn: YESTERDAY }; },
    expect: [{ code: 'DOCUMENT_EXPIRED' }],
    detail: /MRZ/,
  },
  {
    name: 'record and MRZ both expired: one DOCUMENT_EXPIRED',
    mutate: (i) => {
      trav(i).document.expiresOn = '2026-01-31';
      i.mrz = { dateOfBirth: DOB, nationality: 'CHN', expiresOn: '2026-01-31' };
    },
    expect: [{ code: 'DOCUMENT_EXPIRED' }],
  },
  {
    name: 'MRZ date of birth differs',
    mutate: (i) => { i.mrz = { dateOfBirth: '1985-06-16', nationality: 'CHN', expiresOn: '2030-01-01' }; },
    expect: [{ code: 'DOCUMENT_DATA_MISMATCH' }],
    detail: /^MRZ date of birth does not match the whitelist record$/,
  },
  {
    name: 'MRZ nationality differs',
    mutate: (i) => { i.mrz = { dateOfBirth: DOB, nationality: 'HKG', expiresOn: '2030-01-01' }; },
    expect: [{ code: 'DOCUMENT_DATA_MISMATCH' }],
    detail: /^MRZ nationality does not match the whitelist record$/,
  },
  {
    name: 'MRZ date of birth and nationality differ: one reason naming both',
    mutate: (i) => { i.mrz = { dateOfBirth: '1970-01-01', nationality: 'GBR', expiresOn: null }; },
    expect: [{ code: 'DOCUMENT_DATA_MISMATCH' }],
    detail: /^MRZ date of birth and nationality do not match the whitelist record$/,
  },
  {
    name: 'unregistered serial number',
    mutate: (i) => { i.declared.push({ ref: { serialNumber: 'SN-404' }, item: null }); },
    expect: [{ code: 'ITEM_NOT_REGISTERED' }],
    detail: /serial number 'SN-404'/,
  },
  {
    name: 'unregistered item id',
    mutate: (i) => { i.declared.push({ ref: { itemId: 'EQ-404' }, item: null, quantity: 3, sha256: DIGEST }); },
    expect: [{ code: 'ITEM_NOT_REGISTERED' }],
    detail: /id 'EQ-404'/,
  },
  ...itemStatuses.map((status): Case => ({
    name: `equipment status ${status}`,
    mutate: (i) => { rec(i, 'EQ-1').status = status; },
    expect: [{ code: 'ITEM_NOT_APPROVED', itemId: 'EQ-1' }],
    detail: new RegExp(`'Dell XPS laptop' has status '${status}'`),
  })),
  {
    name: 'reagent not approved (validUntil in the past is irrelevant then)',
    mutate: (i) => { Object.assign(rec(i, 'RG-1'), { status: 'submitted', validUntil: null }); },
    expect: [{ code: 'ITEM_NOT_APPROVED', itemId: 'RG-1' }],
  },
  {
    name: 'data approval ended yesterday',
    mutate: (i) => { rec(i, 'DT-1').validUntil = YESTERDAY; },
    expect: [{ code: 'ITEM_EXPIRED', itemId: 'DT-1' }],
    detail: /2026-02-28/,
  },
  {
    name: 'sample not in custody of the traveller',
    mutate: (i) => { rec(i, 'BS-1').custodianIds = ['R-002']; },
    expect: [{ code: 'ITEM_NOT_IN_CUSTODY', itemId: 'BS-1' }],
  },
  {
    name: 'equipment with no custodians',
    mutate: (i) => { rec(i, 'EQ-1').custodianIds = []; },
    expect: [{ code: 'ITEM_NOT_IN_CUSTODY', itemId: 'EQ-1' }],
  },
  {
    name: 'equipment already on the HK side going SZ->HK',
    mutate: (i) => { Object.assign(rec(i, 'EQ-1'), { currentSide: 'HK', returnBy: '2026-06-01T00:00:00+08:00' }); },
    expect: [{ code: 'ITEM_LOCATION_MISMATCH', itemId: 'EQ-1' }],
    detail: /^Item 'Dell XPS laptop' is already recorded on the HK side$/,
  },
  {
    name: 'equipment already on the SZ side going HK->SZ',
    mutate: (i) => { i.direction = 'HK_TO_SZ'; },
    expect: [{ code: 'ITEM_LOCATION_MISMATCH', itemId: 'EQ-1' }],
    detail: /on the SZ side/,
  },
  {
    name: 'reagent quantity exceeds remaining',
    mutate: (i) => { line(i, 'RG-1').quantity = 101; },
    expect: [{ code: 'QUANTITY_EXCEEDED', itemId: 'RG-1' }],
    detail: /101 ml declared, only 100 ml remaining/,
  },
  {
    name: 'sample quantity exceeds remaining',
    mutate: (i) => { line(i, 'BS-1').quantity = 6; },
    expect: [{ code: 'QUANTITY_EXCEEDED', itemId: 'BS-1' }],
  },
  {
    name: 'consumable with no remaining quantity on record',
    mutate: (i) => { rec(i, 'BS-1').remainingQuantity = null; },
    expect: [{ code: 'QUANTITY_EXCEEDED', itemId: 'BS-1' }],
  },
  {
    name: 'data digest missing',
    mutate: (i) => { delete line(i, 'DT-1').sha256; },
    expect: [{ code: 'DATA_DIGEST_MISMATCH', itemId: 'DT-1' }],
    detail: /No SHA-256/,
  },
  {
    name: 'data digest differs',
    mutate: (i) => { line(i, 'DT-1').sha256 = OTHER_DIGEST; },
    expect: [{ code: 'DATA_DIGEST_MISMATCH', itemId: 'DT-1' }],
  },
  {
    name: 'data record has no digest',
    mutate: (i) => { rec(i, 'DT-1').sha256 = null; },
    expect: [{ code: 'DATA_DIGEST_MISMATCH', itemId: 'DT-1' }],
  },
  {
    name: 'personal information leaving SZ without transfer approval',
    mutate: (i) => { rec(i, 'DT-1').transferApprovalReference = null; },
    expect: [{ code: 'DATA_TRANSFER_APPROVAL_MISSING', itemId: 'DT-1' }],
    detail: /personal_information/,
  },
  {
    name: 'important data leaving SZ with a blank transfer approval',
    mutate: (i) => { Object.assign(rec(i, 'DT-1'), { classification: 'important_data', transferApprovalReference: '  ' }); },
    expect: [{ code: 'DATA_TRANSFER_APPROVAL_MISSING', itemId: 'DT-1' }],
  },
  {
    name: 'held equipment overdue on the HK side',
    mutate: (i) => { i.heldItems.push(microscope({ currentSide: 'HK', returnBy: '2026-02-20T18:00:00+08:00' })); },
    expect: [{ code: 'RETURN_OVERDUE', itemId: 'EQ-2' }],
    detail: /'Portable microscope' was due back on the SZ side/,
  },
  {
    name: 'random inspection drawn',
    mutate: (i) => { i.random = () => 0.01; },
    expect: [{ code: 'RANDOM_INSPECTION' }],
  },
];

t.test('every reason code alone', async (t) => {
  const covered = new Set(alone.flatMap((c) => c.expect.map((e) => e.code)));
  t.strictSame(REASON_CODES.filter((c) => !covered.has(c)), [], 'every reason code has an "alone" case');

  for (const c of alone) {
    t.test(c.name, async (t) => {
      const input = build(c.mutate);
      const d = decide(input);
      t.equal(d.decision, 'FLAGGED');
      t.strictSame(summary(input), c.expect);
      if (c.detail) t.match(d.reasons[0]?.detail, c.detail);
      for (const r of d.reasons) {
        t.ok(r.detail.length > 0, 'has a detail');
        t.notOk(r.detail.includes(DOC_NUMBER), 'no document number');
        t.notOk(r.detail.includes(DOB), 'no birth date');
      }
    });
  }
});

// ---------------------------------------------------------------------------
// Variations that must stay CLEARED.
// ---------------------------------------------------------------------------

const cleared: Case[] = [
  { name: 'no MRZ scanned', mutate: (i) => { i.mrz = null; }, expect: [] },
  { name: 'MRZ without date of birth or expiry', mutate: (i) => { i.mrz = { dateOfBirth: null, nationality: 'CHN', expiresOn: null }; }, expect: [] },
  { name: 'open-ended whitelist validity', mutate: (i) => { Object.assign(trav(i), { validFrom: null, validUntil: null }); }, expect: [] },
  { name: 'item with no validUntil', mutate: (i) => { rec(i, 'EQ-1').validUntil = null; }, expect: [] },
  { name: 'nothing declared', mutate: (i) => { i.declared = []; }, expect: [] },
  { name: 'digest in upper case', mutate: (i) => { line(i, 'DT-1').sha256 = DIGEST.toUpperCase(); }, expect: [] },
  { name: 'record digest in upper case', mutate: (i) => { rec(i, 'DT-1').sha256 = DIGEST.toUpperCase(); }, expect: [] },
  {
    name: 'public and internal data need no transfer approval',
    mutate: (i) => {
      Object.assign(rec(i, 'DT-1'), { classification: 'public', transferApprovalReference: null });
      i.declared.push({ ref: { itemId: 'DT-2' }, item: dataset({ id: 'DT-2', classification: 'internal', transferApprovalReference: null }), sha256: DIGEST });
    },
    expect: [],
  },
  {
    name: 'sensitive data entering SZ needs no transfer approval',
    mutate: (i) => {
      i.direction = 'HK_TO_SZ';
      Object.assign(rec(i, 'EQ-1'), { currentSide: 'HK', returnBy: '2026-06-01T00:00:00Z' });
      Object.assign(rec(i, 'DT-1'), { classification: 'important_data', transferApprovalReference: null });
    },
    expect: [],
  },
  { name: 'quantity equal to remaining', mutate: (i) => { line(i, 'RG-1').quantity = 100; line(i, 'BS-1').quantity = 5; }, expect: [] },
  { name: 'quantity not given', mutate: (i) => { delete line(i, 'RG-1').quantity; rec(i, 'BS-1').remainingQuantity = 0; delete line(i, 'BS-1').quantity; }, expect: [] },
  { name: 'equipment with unknown current side', mutate: (i) => { rec(i, 'EQ-1').currentSide = null; }, expect: [] },
  { name: 'another custodian listed too', mutate: (i) => { rec(i, 'EQ-1').custodianIds = ['R-009', 'R-001']; }, expect: [] },
  {
    name: 'held items: at home with a stale returnBy, non-equipment, or not yet due',
    mutate: (i) => {
      i.heldItems.push(
        microscope({ currentSide: 'SZ', returnBy: '2025-01-01T00:00:00Z' }),
        reagent({ currentSide: 'HK', returnBy: '2025-01-01T00:00:00Z' }),
        microscope({ id: 'EQ-3', currentSide: 'HK', returnBy: '2026-03-02T00:00:00+08:00' }),
        microscope({ id: 'EQ-4', currentSide: 'HK', returnBy: null }),
        microscope({ id: 'EQ-5', currentSide: null, returnBy: '2025-01-01T00:00:00Z' }),
      );
    },
    expect: [],
  },
  {
    name: 'overdue equipment being brought home (declared by id)',
    mutate: (i) => {
      i.direction = 'HK_TO_SZ';
      Object.assign(rec(i, 'EQ-1'), { currentSide: 'HK', returnBy: '2026-02-01T00:00:00Z' });
    },
    expect: [],
  },
  {
    name: 'overdue HK-home equipment being brought home to HK (declared by serial)',
    mutate: (i) => {
      const hkScope = microscope({ homeSide: 'HK', currentSide: 'SZ', returnBy: '2026-02-01T00:00:00Z' });
      i.heldItems.push(hkScope);
      i.declared.push({ ref: { serialNumber: 'SN-SCOPE-7' }, item: hkScope });
    },
    expect: [],
  },
  { name: 'rate 0 with a zero draw', mutate: (i) => { i.config.randomInspectionRate = 0; i.random = () => 0; }, expect: [] },
];

t.test('variations that stay CLEARED', async (t) => {
  for (const c of cleared) {
    t.test(c.name, async (t) => {
      t.strictSame(decide(build(c.mutate)), { decision: 'CLEARED', reasons: [] });
    });
  }
});

// ---------------------------------------------------------------------------
// Boundary dates.
// ---------------------------------------------------------------------------

t.test('boundary dates', async (t) => {
  const at = (iso: string) => (i: DecisionInput) => { i.now = new Date(iso); };
  const table: Case[] = [
    { name: 'whitelist validUntil today is valid', mutate: (i) => { trav(i).validUntil = TODAY; }, expect: [] },
    { name: 'whitelist validFrom today is valid', mutate: (i) => { trav(i).validFrom = TODAY; }, expect: [] },
    { name: 'whitelist validFrom = validUntil = today', mutate: (i) => { Object.assign(trav(i), { validFrom: TODAY, validUntil: TODAY }); }, expect: [] },
    { name: 'document expiresOn today is valid', mutate: (i) => { trav(i).document.expiresOn = TODAY; }, expect: [] },
    { name: 'MRZ expiresOn today is valid', mutate: (i) => { i.mrz = { dateOfBirth: DOB, nationality: 'CHN', expiresOn: TODAY }; }, expect: [] },
    { name: 'item validUntil today is valid', mutate: (i) => { rec(i, 'RG-1').validUntil = TODAY; }, expect: [] },
    { name: 'item validUntil yesterday is expired', mutate: (i) => { rec(i, 'RG-1').validUntil = YESTERDAY; }, expect: [{ code: 'ITEM_EXPIRED', itemId: 'RG-1' }] },
    {
      name: '15:59:59Z is still 2026-03-01 at the border: validUntil 2026-03-01 valid',
      mutate: (i) => { at('2026-03-01T15:59:59Z')(i); trav(i).validUntil = '2026-03-01'; },
      expect: [],
    },
    {
      name: '16:00:00Z is 2026-03-02 at the border: validUntil 2026-03-01 expired',
      mutate: (i) => { at('2026-03-01T16:00:00Z')(i); trav(i).validUntil = '2026-03-01'; },
      expect: [{ code: 'WHITELIST_EXPIRED' }],
    },
    {
      name: '15:59:59Z: validFrom 2026-03-02 not yet valid',
      mutate: (i) => { at('2026-03-01T15:59:59Z')(i); trav(i).validFrom = '2026-03-02'; },
      expect: [{ code: 'TRAVELLER_NOT_APPROVED' }],
    },
    {
      name: '16:00:00Z: validFrom 2026-03-02 is valid',
      mutate: (i) => { at('2026-03-01T16:00:00Z')(i); trav(i).validFrom = '2026-03-02'; },
      expect: [],
    },
    {
      name: '16:00:00Z: document and item ending 2026-03-01 are expired',
      mutate: (i) => {
        at('2026-03-01T16:00:00Z')(i);
        trav(i).document.expiresOn = '2026-03-01';
        rec(i, 'DT-1').validUntil = '2026-03-01';
      },
      expect: [{ code: 'DOCUMENT_EXPIRED' }, { code: 'ITEM_EXPIRED', itemId: 'DT-1' }],
    },
    {
      name: 'returnBy exactly now is not overdue',
      mutate: (i) => { i.heldItems.push(microscope({ currentSide: 'HK', returnBy: NOW.toISOString() })); },
      expect: [],
    },
    {
      name: 'returnBy 1 ms before now is overdue',
      mutate: (i) => { i.heldItems.push(microscope({ currentSide: 'HK', returnBy: '2026-03-01T03:59:59.999Z' })); },
      expect: [{ code: 'RETURN_OVERDUE', itemId: 'EQ-2' }],
    },
    {
      name: 'returnBy with a +08:00 offset is compared as an instant',
      mutate: (i) => { i.heldItems.push(microscope({ currentSide: 'HK', returnBy: '2026-03-01T11:59:59+08:00' })); },
      expect: [{ code: 'RETURN_OVERDUE', itemId: 'EQ-2' }],
    },
    {
      name: 'returnBy at the same instant with a +08:00 offset is not overdue',
      mutate: (i) => { i.heldItems.push(microscope({ currentSide: 'HK', returnBy: '2026-03-01T12:00:00+08:00' })); },
      expect: [],
    },
  ];
  for (const c of table) {
    t.test(c.name, async (t) => {
      t.strictSame(summary(build(c.mutate)), c.expect);
    });
  }
});

// ---------------------------------------------------------------------------
// Combinations and ordering.
// ---------------------------------------------------------------------------

t.test('combinations', async (t) => {
  t.test('suspended traveller + expired document + item not in custody + overdue return + inspection', async (t) => {
    const input = build((i) => {
      trav(i).status = 'suspended';
      trav(i).document.expiresOn = YESTERDAY;
      rec(i, 'BS-1').custodianIds = ['R-002'];
      i.heldItems.push(microscope({ currentSide: 'HK', returnBy: '2026-01-15T00:00:00Z' }));
      i.random = () => 0;
    });
    t.strictSame(summary(input), [
      { code: 'TRAVELLER_SUSPENDED' },
      { code: 'DOCUMENT_EXPIRED' },
      { code: 'ITEM_NOT_IN_CUSTODY', itemId: 'BS-1' },
      { code: 'RETURN_OVERDUE', itemId: 'EQ-2' },
      { code: 'RANDOM_INSPECTION' },
    ]);
    t.equal(decide(input).decision, 'FLAGGED');
  });

  t.test('all traveller reasons at once, in order', async (t) => {
    const input = build((i) => {
      Object.assign(trav(i), { validFrom: TOMORROW, validUntil: YESTERDAY });
      trav(i).institution.status = 'suspended';
      i.mrz = { dateOfBirth: '1990-01-01', nationality: 'USA', expiresOn: YESTERDAY };
    });
    t.strictSame(summary(input), [
      { code: 'TRAVELLER_NOT_APPROVED' },
      { code: 'WHITELIST_EXPIRED' },
      { code: 'INSTITUTION_SUSPENDED' },
      { code: 'DOCUMENT_EXPIRED' },
      { code: 'DOCUMENT_DATA_MISMATCH' },
    ]);
  });

  t.test('not-approved status hides validity window reasons', async (t) => {
    const input = build((i) => { Object.assign(trav(i), { status: 'revoked', validFrom: TOMORROW, validUntil: YESTERDAY }); });
    t.strictSame(summary(input), [{ code: 'TRAVELLER_NOT_APPROVED' }]);
  });

  t.test('no traveller: no other traveller reasons, every known item not in custody', async (t) => {
    const input = build((i) => {
      i.traveller = null;
      i.mrz = { dateOfBirth: '1990-01-01', nationality: 'USA', expiresOn: YESTERDAY };
      i.declared.splice(2, 0, { ref: { serialNumber: 'SN-404' }, item: null });
    });
    t.strictSame(summary(input), [
      { code: 'TRAVELLER_NOT_WHITELISTED' },
      { code: 'ITEM_NOT_IN_CUSTODY', itemId: 'EQ-1' },
      { code: 'ITEM_NOT_IN_CUSTODY', itemId: 'RG-1' },
      { code: 'ITEM_NOT_REGISTERED' },
      { code: 'ITEM_NOT_IN_CUSTODY', itemId: 'BS-1' },
      { code: 'ITEM_NOT_IN_CUSTODY', itemId: 'DT-1' },
    ]);
  });

  t.test('per-item reasons in rule order, items in declaration order', async (t) => {
    const input = build((i) => {
      Object.assign(rec(i, 'EQ-1'), { status: 'suspended', custodianIds: [], currentSide: 'HK', returnBy: '2026-09-01T00:00:00Z' });
      Object.assign(rec(i, 'RG-1'), { validUntil: YESTERDAY, custodianIds: ['R-002'] });
      line(i, 'RG-1').quantity = 1000;
      Object.assign(rec(i, 'DT-1'), { status: 'endorsed', transferApprovalReference: null });
      line(i, 'DT-1').sha256 = OTHER_DIGEST;
    });
    t.strictSame(summary(input), [
      { code: 'ITEM_NOT_APPROVED', itemId: 'EQ-1' },
      { code: 'ITEM_NOT_IN_CUSTODY', itemId: 'EQ-1' },
      { code: 'ITEM_LOCATION_MISMATCH', itemId: 'EQ-1' },
      { code: 'ITEM_EXPIRED', itemId: 'RG-1' },
      { code: 'ITEM_NOT_IN_CUSTODY', itemId: 'RG-1' },
      { code: 'QUANTITY_EXCEEDED', itemId: 'RG-1' },
      { code: 'ITEM_NOT_APPROVED', itemId: 'DT-1' },
      { code: 'DATA_DIGEST_MISMATCH', itemId: 'DT-1' },
      { code: 'DATA_TRANSFER_APPROVAL_MISSING', itemId: 'DT-1' },
    ]);
  });

  t.test('overdue equipment declared away from home is still overdue (and misplaced)', async (t) => {
    const input = build((i) => { Object.assign(rec(i, 'EQ-1'), { currentSide: 'HK', returnBy: '2026-02-01T00:00:00Z' }); });
    t.strictSame(summary(input), [
      { code: 'ITEM_LOCATION_MISMATCH', itemId: 'EQ-1' },
      { code: 'RETURN_OVERDUE', itemId: 'EQ-1' },
    ]);
  });

  t.test('several overdue items: one reason each, in heldItems order', async (t) => {
    const input = build((i) => {
      i.heldItems.push(
        microscope({ id: 'EQ-3', currentSide: 'HK', returnBy: '2026-01-01T00:00:00Z' }),
        microscope({ id: 'EQ-2', homeSide: 'HK', currentSide: 'SZ', returnBy: '2026-01-01T00:00:00Z' }),
        microscope({ id: 'EQ-3', currentSide: 'HK', returnBy: '2026-01-01T00:00:00Z' }),
      );
    });
    t.strictSame(summary(input), [
      { code: 'RETURN_OVERDUE', itemId: 'EQ-3' },
      { code: 'RETURN_OVERDUE', itemId: 'EQ-2' },
    ]);
  });
});

// ---------------------------------------------------------------------------
// Same item declared more than once.
// ---------------------------------------------------------------------------

t.test('duplicate declarations', async (t) => {
  t.test('consumable quantities add up; the exceeding line is flagged in its position', async (t) => {
    const input = build((i) => {
      const rg = rec(i, 'RG-1');
      line(i, 'RG-1').quantity = 60;
      line(i, 'DT-1').sha256 = OTHER_DIGEST;
      i.declared.push({ ref: { itemId: 'RG-1' }, item: rg, quantity: 50 });
    });
    t.strictSame(summary(input), [
      { code: 'DATA_DIGEST_MISMATCH', itemId: 'DT-1' },
      { code: 'QUANTITY_EXCEEDED', itemId: 'RG-1' },
    ]);
    t.match(decide(input).reasons[1]?.detail, /110 ml declared, only 100 ml remaining/);
  });

  t.test('consumable quantities adding up to exactly the remainder are fine', async (t) => {
    const input = build((i) => {
      line(i, 'BS-1').quantity = 3;
      i.declared.push({ ref: { serialNumber: 'HEK-VIAL-LOT9' }, item: sample(), quantity: 2 });
    });
    t.strictSame(summary(input), []);
  });

  t.test('both lines exceeding: one reason', async (t) => {
    const input = build((i) => {
      line(i, 'RG-1').quantity = 150;
      i.declared.push({ ref: { itemId: 'RG-1' }, item: reagent(), quantity: 10 });
    });
    t.strictSame(summary(input), [{ code: 'QUANTITY_EXCEEDED', itemId: 'RG-1' }]);
  });

  t.test('identical item reasons are not repeated', async (t) => {
    const input = build((i) => {
      rec(i, 'EQ-1').custodianIds = [];
      rec(i, 'EQ-1').status = 'rejected';
      i.declared.push({ ref: { itemId: 'EQ-1' }, item: rec(i, 'EQ-1') });
    });
    t.strictSame(summary(input), [
      { code: 'ITEM_NOT_APPROVED', itemId: 'EQ-1' },
      { code: 'ITEM_NOT_IN_CUSTODY', itemId: 'EQ-1' },
    ]);
  });

  t.test('data declared twice, only the second digest wrong: flagged once', async (t) => {
    const input = build((i) => { i.declared.push({ ref: { itemId: 'DT-1' }, item: dataset(), sha256: OTHER_DIGEST }); });
    t.strictSame(summary(input), [{ code: 'DATA_DIGEST_MISMATCH', itemId: 'DT-1' }]);
  });

  t.test('unregistered refs: same ref once, different refs each', async (t) => {
    const input = build((i) => {
      i.declared.push(
        { ref: { serialNumber: 'SN-404' }, item: null },
        { ref: { serialNumber: 'SN-405' }, item: null },
        { ref: { serialNumber: 'SN-404' }, item: null },
        { ref: { itemId: 'SN-404' }, item: null },
      );
    });
    const d = decide(input);
    t.strictSame(d.reasons.map((r) => r.code), ['ITEM_NOT_REGISTERED', 'ITEM_NOT_REGISTERED', 'ITEM_NOT_REGISTERED']);
    t.strictSame(d.reasons.map((r) => r.detail), [
      "No registered item matches serial number 'SN-404'",
      "No registered item matches serial number 'SN-405'",
      "No registered item matches id 'SN-404'",
    ]);
    t.ok(d.reasons.every((r) => !('itemId' in r)), 'no itemId on unregistered items');
  });
});

// ---------------------------------------------------------------------------
// Random inspection.
// ---------------------------------------------------------------------------

function counting(values: number[]): { fn: () => number; calls: () => number } {
  let n = 0;
  return {
    fn: () => {
      const v = values[n % values.length];
      n += 1;
      if (v === undefined) throw new Error('empty sequence');
      return v;
    },
    calls: () => n,
  };
}

t.test('random inspection', async (t) => {
  t.test('rate 0 never inspects, but still draws once', async (t) => {
    const r = counting([0]);
    const d = decide(build((i) => { i.config.randomInspectionRate = 0; i.random = r.fn; }));
    t.equal(d.decision, 'CLEARED');
    t.equal(r.calls(), 1);
  });

  t.test('negative rate never inspects', async (t) => {
    t.strictSame(summary(build((i) => { i.config.randomInspectionRate = -0.5; i.random = () => 0; })), []);
  });

  t.test('rate 1 always inspects', async (t) => {
    for (const v of [0, 0.5, 0.999999]) {
      const d = decide(build((i) => { i.config.randomInspectionRate = 1; i.random = () => v; }));
      t.strictSame(d.reasons.map((x) => x.code), ['RANDOM_INSPECTION'], `draw ${v}`);
      t.equal(d.decision, 'FLAGGED');
    }
  });

  t.test('draw equal to the rate does not inspect', async (t) => {
    t.strictSame(summary(build((i) => { i.config.randomInspectionRate = 0.25; i.random = () => 0.25; })), []);
  });

  t.test('an injected sequence is consumed one draw per decision', async (t) => {
    const r = counting([0.01, 0.2, 0.049, 0.05, 0.0]);
    const inputs = [
      build(),
      build((i) => { i.traveller = null; i.declared = []; i.heldItems = []; }), // flagged anyway; must still draw
      build(),
      build(),
      build((i) => { trav(i).status = 'suspended'; }),
    ];
    for (const input of inputs) input.random = r.fn;
    const results = inputs.map((i) => decide(i).reasons.map((x) => x.code));
    t.strictSame(results, [
      ['RANDOM_INSPECTION'],
      ['TRAVELLER_NOT_WHITELISTED'],
      ['RANDOM_INSPECTION'],
      [],
      ['TRAVELLER_SUSPENDED', 'RANDOM_INSPECTION'],
    ]);
    t.equal(r.calls(), 5);
  });

  t.test('random() is called exactly once per decision in every case', async (t) => {
    const scenarios = [...alone, ...cleared];
    for (const c of scenarios) {
      for (const rate of [0, 0.05, 1]) {
        const r = counting([0.5]);
        decide(build((i) => { c.mutate(i); i.config.randomInspectionRate = rate; i.random = r.fn; }));
        t.equal(r.calls(), 1, `${c.name} @ rate ${rate}`);
      }
    }
  });
});

// ---------------------------------------------------------------------------
// Privacy and purity.
// ---------------------------------------------------------------------------

t.test('details never leak document numbers or birth dates', async (t) => {
  const input = build((i) => {
    const tr = trav(i);
    tr.status = 'revoked';
    tr.institution.status = 'suspended';
    tr.document.expiresOn = YESTERDAY;
    i.mrz = { dateOfBirth: '1979-12-31', nationality: 'PRK', expiresOn: '2020-01-01' };
    for (const l of i.declared) if (l.item) Object.assign(l.item, { status: 'suspended', custodianIds: [], validUntil: YESTERDAY });
    i.declared.push({ ref: { serialNumber: 'SN-1' }, item: null });
    i.random = () => 0;
  });
  const d = decide(input);
  t.ok(d.reasons.length >= 8);
  for (const r of d.reasons) {
    for (const secret of [DOC_NUMBER, DOB, '1979-12-31', 'PRK', 'CHN', 'Chan Tai Man']) {
      t.notOk(r.detail.includes(secret), `${r.code} detail does not contain ${secret}`);
    }
  }
});

t.test('decide does not mutate its input and is repeatable', async (t) => {
  const input = build((i) => {
    line(i, 'RG-1').quantity = 60;
    i.declared.push({ ref: { itemId: 'RG-1' }, item: reagent(), quantity: 50 });
    i.heldItems.push(microscope({ currentSide: 'HK', returnBy: '2026-01-01T00:00:00Z' }));
  });
  const before = JSON.stringify(input);
  const a = decide(input);
  const b = decide(input);
  t.equal(JSON.stringify(input), before);
  t.strictSame(a, b);
  t.not(a.reasons, b.reasons, 'fresh arrays each call');
});
