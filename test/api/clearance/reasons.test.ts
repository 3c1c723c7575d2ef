// Every reason code of DESIGN.md, triggered through POST /v1/crossings (not only
// through the pure decision function): each FLAGGED answer names the code with the
// item concerned, is persisted with its audit event, and moves nothing.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { REASON_CODES } from '../../../src/domain/decision/types.js';
import { buildTd3 } from '../../../src/domain/documents/mrz.js';
import { buildTestApp } from '../../support/app.js';
import { insertItem, insertTraveller } from '../../support/travellers.js';
import {
  auditAfter,
  type CrossingAnswer,
  codesOf,
  DAY_MS,
  type DeclaredLine,
  type DocumentRef,
  itemState,
  itemStates,
  type ItemState,
  movementsOfCrossing,
  passportRef,
  postCrossing,
  storedSerial,
} from '../../support/desk.js';
import { insertInstitution, insertResearcher } from '../../support/records.js';

type Tap = Test;
type Direction = 'SZ_TO_HK' | 'HK_TO_SZ';

// One app for the whole file (PGlite migrates per app). Random inspections are
// configured at 50% and the draw is controlled by the tests: 0.99 never samples.
let draw = 0.99;
const ctx = await buildTestApp(t, { env: { RANDOM_INSPECTION_RATE: '0.5' }, random: () => draw });
const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
const seen = new Set<string>();

/** A traveller with a laptop (home HK, at HK) and a reagent (100 mL) in custody. */
async function travellerWithKit(opts: Parameters<typeof insertTraveller>[1] = {}) {
  const trav = await insertTraveller(ctx.db, opts);
  const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', homeSide: 'HK' });
  const reagent = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'reagent', quantity: 100 });
  return { ...trav, laptop, reagent };
}

async function cross(traveller: DocumentRef, direction: Direction, items: DeclaredLine[]) {
  return postCrossing(ctx, officer.token, { checkpoint: 'LMC', direction, traveller, items });
}

/**
 * The answer is a 201 FLAGGED whose reasons are exactly `expected` (code and item),
 * the crossing and its audit event are stored, and no watched item changed or moved.
 */
async function expectFlagged(
  t: Tap,
  res: Awaited<ReturnType<typeof cross>>,
  expected: { code: string; itemId?: string }[],
  before: Record<string, ItemState>,
): Promise<CrossingAnswer> {
  t.equal(res.statusCode, 201, res.body);
  const c = res.json<CrossingAnswer>();
  t.equal(c.decision, 'FLAGGED', res.body);
  for (const e of expected) {
    const r = c.reasons.find((x) => x.code === e.code && (x.itemId ?? null) === (e.itemId ?? null));
    t.ok(r, `${e.code} present${e.itemId ? ` for item ${e.itemId}` : ' (no item)'}: ${res.body}`);
    t.ok(r && r.detail.length > 0, `${e.code} carries a human detail`);
    seen.add(e.code);
  }
  t.same(codesOf(c), expected.map((e) => e.code).sort(), 'no other reason');

  // Persisted as answered, with its audit event.
  const got = await ctx.request({ method: 'GET', url: `/v1/crossings/${c.id}`, token: officer.token });
  t.equal(got.statusCode, 200, got.body);
  t.equal(got.json().decision, 'FLAGGED');
  t.same(got.json().reasons, c.reasons);
  const audit = (await auditAfter(ctx.db, 0)).filter((a) => a.subject === `crossing:${c.id}`);
  t.equal(audit.length, 1, 'one audit event for the crossing');
  t.equal(audit[0]?.action, 'crossing.decide');
  t.match(audit[0]?.data, { decision: 'FLAGGED', reasonCodes: c.reasons.map((r) => r.code) });

  // A FLAGGED crossing moves nothing.
  t.same(await movementsOfCrossing(ctx.db, c.id), [], 'no movement recorded');
  t.same(await itemStates(ctx.db, Object.keys(before)), before, 'no item changed');
  return c;
}

const snapshot = (ids: string[]) => itemStates(ctx.db, ids);

t.test('TRAVELLER_NOT_WHITELISTED: an unknown passport', async (t) => {
  const owner = await travellerWithKit();
  const before = await snapshot([owner.laptop.id]);
  const res = await cross(passportRef(`X${randomBytes(4).toString('hex').toUpperCase()}`), 'HK_TO_SZ', [{ itemId: owner.laptop.id }]);
  const c = await expectFlagged(
    t,
    res,
    [{ code: 'TRAVELLER_NOT_WHITELISTED' }, { code: 'ITEM_NOT_IN_CUSTODY', itemId: owner.laptop.id }],
    before,
  );
  t.equal(c.traveller, null);
});

t.test('TRAVELLER_NOT_APPROVED: a nominated researcher, and one whose window has not begun', async (t) => {
  const nominated = await travellerWithKit({ status: 'nominated' });
  let before = await snapshot([nominated.laptop.id, nominated.reagent.id]);
  await expectFlagged(
    t,
    await cross(passportRef(nominated.passport), 'HK_TO_SZ', [{ itemId: nominated.laptop.id }, { itemId: nominated.reagent.id, quantity: 10 }]),
    [{ code: 'TRAVELLER_NOT_APPROVED' }],
    before,
  );
  const notYet = await travellerWithKit({ validFrom: '2098-01-01' });
  before = await snapshot([notYet.laptop.id]);
  await expectFlagged(t, await cross(passportRef(notYet.passport), 'HK_TO_SZ', [{ itemId: notYet.laptop.id }]), [{ code: 'TRAVELLER_NOT_APPROVED' }], before);
});

t.test('TRAVELLER_SUSPENDED', async (t) => {
  const trav = await travellerWithKit({ status: 'suspended' });
  const before = await snapshot([trav.laptop.id, trav.reagent.id]);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.laptop.id }, { itemId: trav.reagent.id, quantity: 5 }]),
    [{ code: 'TRAVELLER_SUSPENDED' }],
    before,
  );
});

t.test('WHITELIST_EXPIRED: validUntil in the past', async (t) => {
  const trav = await travellerWithKit({ validFrom: '2020-01-01', validUntil: '2021-12-31' });
  const before = await snapshot([trav.laptop.id]);
  await expectFlagged(t, await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.laptop.id }]), [{ code: 'WHITELIST_EXPIRED' }], before);
});

t.test('INSTITUTION_SUSPENDED', async (t) => {
  const inst = await insertInstitution(ctx.db, { side: 'HK', status: 'suspended' });
  const trav = await travellerWithKit({ institutionId: inst.id });
  const before = await snapshot([trav.laptop.id, trav.reagent.id]);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.laptop.id }, { itemId: trav.reagent.id, quantity: 1 }]),
    [{ code: 'INSTITUTION_SUSPENDED' }],
    before,
  );
});

t.test('DOCUMENT_EXPIRED: by the record, and by the MRZ', async (t) => {
  const trav = await travellerWithKit({ passportExpires: '2022-03-01' });
  let before = await snapshot([trav.laptop.id]);
  await expectFlagged(t, await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.laptop.id }]), [{ code: 'DOCUMENT_EXPIRED' }], before);

  const other = await travellerWithKit({ passportExpires: '2099-01-01' });
  const mrz = buildTd3({
    issuingState: other.country,
    surname: 'CHAN',
    givenNames: 'TAI MAN',
    documentNumber: other.passport,
    nationality: 'CHN',
    dateOfBirth: '1985-04-12',
    sex: 'M',
    expiresOn: '2021-05-05',
  });
  before = await snapshot([other.laptop.id]);
  await expectFlagged(t, await cross({ mrz }, 'HK_TO_SZ', [{ itemId: other.laptop.id }]), [{ code: 'DOCUMENT_EXPIRED' }], before);
});

t.test('DOCUMENT_NOT_APPROVED: a passport added by the institution after vetting, pending, then rejected', async (t) => {
  const trav = await travellerWithKit();
  const admin = await ctx.caller('institution_admin', { institutionId: trav.institutionId });
  const added = `Z${randomBytes(4).readUInt32BE(0) % 10_000_000}`.padEnd(8, '7');
  const res = await ctx.request({
    method: 'POST',
    url: `/v1/researchers/${trav.researcher.id}/documents`,
    token: admin.token,
    payload: { kind: 'passport', number: added, issuingCountry: 'GBR', expiresOn: '2040-01-01' },
  });
  t.equal(res.statusCode, 201, res.body);
  const doc = res.json().documents.find((d: { number: string }) => d.number === added);
  t.equal(doc.status, 'pending');
  const ref: DocumentRef = { document: { kind: 'passport', number: added, issuingCountry: 'GBR' } };
  let before = await snapshot([trav.laptop.id]);
  await expectFlagged(t, await cross(ref, 'HK_TO_SZ', [{ itemId: trav.laptop.id }]), [{ code: 'DOCUMENT_NOT_APPROVED' }], before);

  const sup = await ctx.caller('supervisor');
  const rejected = await ctx.request({
    method: 'POST',
    url: `/v1/researchers/${trav.researcher.id}/documents/${doc.id}/reject`,
    token: sup.token,
    payload: { reason: 'not the holder' },
  });
  t.equal(rejected.statusCode, 200, rejected.body);
  before = await snapshot([trav.laptop.id]);
  const flagged = await expectFlagged(t, await cross(ref, 'HK_TO_SZ', [{ itemId: trav.laptop.id }]), [{ code: 'DOCUMENT_NOT_APPROVED' }], before);
  t.match(flagged.reasons[0]?.detail, /rejected/);
  // The vetted passport still clears.
  const ok = await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.laptop.id }]);
  t.equal(ok.json().decision, 'CLEARED', ok.body);
});

t.test('DOCUMENT_DATA_MISMATCH: MRZ birth date, then MRZ nationality, differ from the record', async (t) => {
  const trav = await travellerWithKit({ dateOfBirth: '1985-04-12', nationality: 'CHN' });
  const mrz = (over: { dateOfBirth?: string; nationality?: string }) =>
    buildTd3({
      issuingState: trav.country,
      surname: 'CHAN',
      givenNames: 'TAI MAN',
      documentNumber: trav.passport,
      nationality: over.nationality ?? 'CHN',
      dateOfBirth: over.dateOfBirth ?? '1985-04-12',
      sex: 'M',
      expiresOn: '2099-01-01',
    });
  // Control: the matching MRZ clears (nothing declared, so nothing moves).
  const ok = await cross({ mrz: mrz({}) }, 'HK_TO_SZ', []);
  t.equal(ok.statusCode, 201, ok.body);
  t.equal(ok.json().decision, 'CLEARED', ok.body);
  t.equal(ok.json().traveller.researcherId, trav.researcher.id);

  const before = await snapshot([trav.laptop.id]);
  const birth = await expectFlagged(
    t,
    await cross({ mrz: mrz({ dateOfBirth: '1985-04-13' }) }, 'HK_TO_SZ', [{ itemId: trav.laptop.id }]),
    [{ code: 'DOCUMENT_DATA_MISMATCH' }],
    before,
  );
  t.match(birth.reasons[0]?.detail, /date of birth/);
  t.notMatch(birth.reasons[0]?.detail, /1985/, 'the detail names the field, not the value');
  const nat = await expectFlagged(
    t,
    await cross({ mrz: mrz({ nationality: 'GBR' }) }, 'HK_TO_SZ', [{ itemId: trav.laptop.id }]),
    [{ code: 'DOCUMENT_DATA_MISMATCH' }],
    before,
  );
  t.match(nat.reasons[0]?.detail, /nationality/);
});

t.test('ITEM_NOT_REGISTERED: an unknown serial number (and an unknown id) is a 201 FLAGGED, not an error', async (t) => {
  const trav = await travellerWithKit();
  const before = await snapshot([trav.laptop.id, trav.reagent.id]);
  const serial = `NO-SUCH-${randomBytes(4).toString('hex').toUpperCase()}`;
  const c = await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ serialNumber: serial }, { itemId: trav.laptop.id }]),
    [{ code: 'ITEM_NOT_REGISTERED' }],
    before,
  );
  t.match(c.items[0], { line: 1, itemId: null, serialNumber: serial });
  t.match(c.items[1], { line: 2, itemId: trav.laptop.id });

  const unknownId = '01900000-0000-7000-8000-000000000000';
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: unknownId }, { itemId: trav.reagent.id, quantity: 3 }]),
    [{ code: 'ITEM_NOT_REGISTERED' }],
    before,
  );
});

t.test('ITEM_NOT_APPROVED: an endorsed and a suspended item, each named', async (t) => {
  const trav = await travellerWithKit();
  const endorsed = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', status: 'endorsed' });
  const suspended = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'reagent', status: 'suspended' });
  const before = await snapshot([endorsed.id, suspended.id, trav.laptop.id]);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [
      { itemId: endorsed.id },
      { itemId: suspended.id, quantity: 1 },
      { itemId: trav.laptop.id },
    ]),
    [
      { code: 'ITEM_NOT_APPROVED', itemId: endorsed.id },
      { code: 'ITEM_NOT_APPROVED', itemId: suspended.id },
    ],
    before,
  );
});

t.test('ITEM_EXPIRED', async (t) => {
  const trav = await travellerWithKit();
  const old = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', validUntil: '2021-06-30' });
  const before = await snapshot([old.id, trav.laptop.id]);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: old.id }, { itemId: trav.laptop.id }]),
    [{ code: 'ITEM_EXPIRED', itemId: old.id }],
    before,
  );
});

t.test('ITEM_NOT_IN_CUSTODY: a colleague’s laptop', async (t) => {
  const trav = await travellerWithKit();
  const colleague = await insertResearcher(ctx.db, { institutionId: trav.institutionId, status: 'approved' });
  const theirs = await insertItem(ctx.db, trav.institutionId, [colleague.id], { category: 'equipment', serialNumber: storedSerial() });
  const before = await snapshot([theirs.id, trav.laptop.id]);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ serialNumber: theirs.serialNumber! }, { itemId: trav.laptop.id }]),
    [{ code: 'ITEM_NOT_IN_CUSTODY', itemId: theirs.id }],
    before,
  );
});

t.test('ITEM_LOCATION_MISMATCH: the laptop is already on the destination side', async (t) => {
  const trav = await travellerWithKit();
  const before = await snapshot([trav.laptop.id, trav.reagent.id]);
  t.equal(before[trav.laptop.id]?.currentSide, 'HK');
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'SZ_TO_HK', [{ itemId: trav.laptop.id }, { itemId: trav.reagent.id, quantity: 10 }]),
    [{ code: 'ITEM_LOCATION_MISMATCH', itemId: trav.laptop.id }],
    before,
  );
});

t.test('QUANTITY_EXCEEDED: one line over the remaining quantity, and two lines that add up over it', async (t) => {
  const trav = await travellerWithKit();
  const before = await snapshot([trav.reagent.id, trav.laptop.id]);
  t.equal(before[trav.reagent.id]?.remainingQuantity, 100);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.reagent.id, quantity: 150 }, { itemId: trav.laptop.id }]),
    [{ code: 'QUANTITY_EXCEEDED', itemId: trav.reagent.id }],
    before,
  );
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [
      { itemId: trav.reagent.id, quantity: 60 },
      { itemId: trav.reagent.id, quantity: 60 },
    ]),
    [{ code: 'QUANTITY_EXCEEDED', itemId: trav.reagent.id }],
    before,
  );
  const sample = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'biological_sample', quantity: 4, unit: 'vial' });
  const b2 = await snapshot([sample.id]);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: sample.id, quantity: 5 }]),
    [{ code: 'QUANTITY_EXCEEDED', itemId: sample.id }],
    b2,
  );
});

t.test('DATA_DIGEST_MISMATCH: a wrong digest, and none', async (t) => {
  const trav = await travellerWithKit();
  const data = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'data', classification: 'internal' });
  const before = await snapshot([data.id, trav.laptop.id]);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: data.id, sha256: 'ab'.repeat(32) }, { itemId: trav.laptop.id }]),
    [{ code: 'DATA_DIGEST_MISMATCH', itemId: data.id }],
    before,
  );
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: data.id }]),
    [{ code: 'DATA_DIGEST_MISMATCH', itemId: data.id }],
    before,
  );
  // Control: the registered digest, in upper case, clears.
  const ok = await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: data.id, sha256: data.sha256!.toUpperCase() }]);
  t.equal(ok.json().decision, 'CLEARED', ok.body);
});

t.test('DATA_TRANSFER_APPROVAL_MISSING: personal information SZ→HK without an approval reference', async (t) => {
  const trav = await travellerWithKit();
  const pi = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], {
    category: 'data',
    homeSide: 'SZ',
    classification: 'personal_information',
  });
  const before = await snapshot([pi.id, trav.reagent.id]);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'SZ_TO_HK', [{ itemId: pi.id, sha256: pi.sha256! }, { itemId: trav.reagent.id, quantity: 1 }]),
    [{ code: 'DATA_TRANSFER_APPROVAL_MISSING', itemId: pi.id }],
    before,
  );
  // Controls: the other direction needs no approval; with a reference it clears.
  const back = await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: pi.id, sha256: pi.sha256! }]);
  t.equal(back.json().decision, 'CLEARED', back.body);
  const approved = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], {
    category: 'data',
    classification: 'important_data',
    transferApprovalReference: 'CAC-2025-0042',
  });
  const withRef = await cross(passportRef(trav.passport), 'SZ_TO_HK', [{ itemId: approved.id, sha256: approved.sha256! }]);
  t.equal(withRef.json().decision, 'CLEARED', withRef.body);
});

t.test('RANDOM_INSPECTION: sampled at the configured rate with the injected random source', async (t) => {
  t.equal(ctx.config.clearance.randomInspectionRate, 0.5);
  const trav = await travellerWithKit();
  const before = await snapshot([trav.laptop.id, trav.reagent.id]);
  draw = 0.1;
  try {
    await expectFlagged(
      t,
      await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.laptop.id }, { itemId: trav.reagent.id, quantity: 10 }]),
      [{ code: 'RANDOM_INSPECTION' }],
      before,
    );
    draw = 0.6; // above the rate: not sampled
    const ok = await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.laptop.id }]);
    t.equal(ok.json().decision, 'CLEARED', ok.body);
  } finally {
    draw = 0.99;
  }
});

// ---- the tests below move the clock -------------------------------------------

t.test('WHITELIST_EXPIRED: the clock passes validUntil (a border date, UTC+08:00, valid through that day)', async (t) => {
  const trav = await travellerWithKit({ validFrom: '2020-01-01', validUntil: '2031-06-30' });
  ctx.clock.set('2031-06-30T15:59:00Z'); // 23:59 on 30 June at the border
  const last = await cross(passportRef(trav.passport), 'HK_TO_SZ', []);
  t.equal(last.json().decision, 'CLEARED', `still valid on its last day: ${last.body}`);
  ctx.clock.set('2031-06-30T16:00:00Z'); // 00:00 on 1 July at the border
  const before = await snapshot([trav.laptop.id]);
  await expectFlagged(t, await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.laptop.id }]), [{ code: 'WHITELIST_EXPIRED' }], before);
  ctx.clock.set(new Date());
});

t.test('RETURN_OVERDUE: equipment away past returnBy flags the traveller’s next crossing', async (t) => {
  ctx.clock.set(new Date());
  const trav = await travellerWithKit();
  const out = await cross(passportRef(trav.passport), 'HK_TO_SZ', [{ itemId: trav.laptop.id }]);
  t.equal(out.json().decision, 'CLEARED', out.body);
  const away = await itemState(ctx.db, trav.laptop.id);
  t.equal(away.currentSide, 'SZ');
  t.equal(away.returnBy, new Date(ctx.clock.now.getTime() + 30 * DAY_MS).toISOString());

  ctx.clock.advance(31 * DAY_MS);
  const before = await snapshot([trav.laptop.id, trav.reagent.id]);
  await expectFlagged(
    t,
    await cross(passportRef(trav.passport), 'SZ_TO_HK', [{ itemId: trav.reagent.id, quantity: 10 }]),
    [{ code: 'RETURN_OVERDUE', itemId: trav.laptop.id }],
    before,
  );
  // Bringing the laptop home is not held against the traveller.
  const home = await cross(passportRef(trav.passport), 'SZ_TO_HK', [{ itemId: trav.laptop.id }]);
  t.equal(home.json().decision, 'CLEARED', home.body);
  t.same(await itemState(ctx.db, trav.laptop.id), { ...away, currentSide: 'HK', returnBy: null, version: away.version + 1 });
  ctx.clock.set(new Date());
});

t.test('every reason code of DESIGN.md was triggered through the API', async (t) => {
  t.same([...seen].sort(), [...REASON_CODES].sort());
  const [row] = await ctx.db.execute(sql`select count(*)::int as n from crossings`).then((r) => (r as unknown as { rows: { n: number }[] }).rows);
  t.ok(Number(row?.n) > REASON_CODES.length);
});
