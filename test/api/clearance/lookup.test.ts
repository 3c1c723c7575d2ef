// The officer's lookup (by document in any spelling, by MRZ), its audit trail, and
// suspension taking effect on the very next lookup and crossing.
import { eq } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { researchers } from '../../../src/db/schema.js';
import { buildTd3 } from '../../../src/domain/documents/mrz.js';
import { buildTestApp } from '../../support/app.js';
import { insertItem, insertTraveller } from '../../support/travellers.js';
import {
  auditAfter,
  auditHead,
  type CrossingAnswer,
  codesOf,
  insertDocument,
  itemState,
  passportRef,
  postCrossing,
  postLookup,
} from '../../support/desk.js';
import { insertResearcher } from '../../support/records.js';

const ctx = await buildTestApp(t);
const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
const supervisor = await ctx.caller('supervisor');

const trav = await insertTraveller(ctx.db, { dateOfBirth: '1985-04-12', nationality: 'CHN', passportExpires: '2033-08-31' });
await insertDocument(ctx.db, trav.researcher.id, { kind: 'hkid', number: 'A1234563' });
const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', homeSide: 'HK' });
const reagent = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'reagent', quantity: 250, unit: 'mL' });
const colleague = await insertResearcher(ctx.db, { institutionId: trav.institutionId, status: 'approved' });
const notMine = await insertItem(ctx.db, trav.institutionId, [colleague.id], { category: 'equipment' });

const td3 = (over: Partial<Parameters<typeof buildTd3>[0]> = {}) =>
  buildTd3({
    issuingState: trav.country,
    surname: 'CHAN',
    givenNames: 'TAI MAN',
    documentNumber: trav.passport,
    nationality: 'CHN',
    dateOfBirth: '1985-04-12',
    sex: 'M',
    expiresOn: '2033-08-31',
    ...over,
  });

/** The lookup answered the card of `trav`, and appended exactly one audit event that does not carry the number. */
async function expectCard(t: Tap, ref: Parameters<typeof postLookup>[2], fullNumber: string) {
  const a0 = await auditHead(ctx.db);
  const res = await postLookup(ctx, officer.token, ref);
  t.equal(res.statusCode, 200, res.body);
  const card = res.json();
  t.equal(card.researcher.id, trav.researcher.id);
  const events = await auditAfter(ctx.db, a0);
  t.equal(events.length, 1, 'one audit event per lookup');
  t.match(events[0], {
    action: 'clearance.lookup',
    actor: officer.userId,
    role: 'officer',
    subject: `researcher:${trav.researcher.id}`,
    data: { checkpoint: 'LMC' },
  });
  t.notOk(JSON.stringify(events[0]?.data).includes(fullNumber), 'the audit event does not carry the document number');
  return card;
}
type Tap = Test;

t.test('by passport in any spelling that normalises: the traveller card', async (t) => {
  for (const spelling of [trav.passport, trav.passport.toLowerCase(), ` ${trav.passport.slice(0, 4).toLowerCase()} ${trav.passport.slice(4)} `]) {
    const card = await expectCard(t, passportRef(spelling), trav.passport);
    t.match(card, {
      researcher: { id: trav.researcher.id, fullName: 'CHAN TAI MAN', dateOfBirth: '1985-04-12', nationality: 'CHN', status: 'approved' },
      institution: { id: trav.institutionId, side: 'HK', status: 'active' },
      whitelist: { status: 'approved', validFrom: '2020-01-01', validUntil: '2099-12-31', inGoodStanding: true },
      document: { kind: 'passport', number: trav.passport, issuingCountry: 'CHN', expiresOn: '2033-08-31' },
      documentChecks: { expired: false, mrz: null },
      alerts: [],
    });
  }
});

t.test('the card lists the items in custody with their state', async (t) => {
  const card = await expectCard(t, passportRef(trav.passport), trav.passport);
  const ids = (card.items as { id: string }[]).map((i) => i.id).sort();
  t.same(ids, [laptop.id, reagent.id].sort(), 'only the items the traveller may carry');
  t.notOk(ids.includes(notMine.id));
  t.match(card.items.find((i: { id: string }) => i.id === laptop.id), {
    category: 'equipment',
    status: 'approved',
    homeSide: 'HK',
    currentSide: 'HK',
    returnBy: null,
    overdue: false,
    remainingQuantity: null,
    serialNumber: laptop.serialNumber,
  });
  t.match(card.items.find((i: { id: string }) => i.id === reagent.id), {
    category: 'reagent',
    status: 'approved',
    remainingQuantity: 250,
    unit: 'mL',
    currentSide: null,
  });
});

t.test('by HKID with brackets, lower case, spaces', async (t) => {
  for (const spelling of ['A123456(3)', 'a123456 (3)', 'A1234563']) {
    const card = await expectCard(t, { document: { kind: 'hkid', number: spelling } }, 'A1234563');
    t.match(card.document, { kind: 'hkid', number: 'A1234563' });
  }
  const bad = await postLookup(ctx, officer.token, { document: { kind: 'hkid', number: 'A123456(4)' } });
  t.equal(bad.statusCode, 422, bad.body);
  t.match(bad.json().errors, [{ path: 'document.number' }]);
});

t.test('by MRZ (TD3): the card with the MRZ checks', async (t) => {
  const card = await expectCard(t, { mrz: td3() }, trav.passport);
  t.match(card.documentChecks, { expired: false, mrz: { dateOfBirthMatches: true, nationalityMatches: true, expiresOnMatches: true } });
  t.match(card.document, { kind: 'passport', number: trav.passport });
  const crlf = await postLookup(ctx, officer.token, { mrz: td3().toLowerCase().replace('\n', '\r\n') });
  t.equal(crlf.statusCode, 200, crlf.body);

  const differs = await expectCard(t, { mrz: td3({ dateOfBirth: '1986-04-12', nationality: 'GBR' }) }, trav.passport);
  t.match(differs.documentChecks.mrz, { dateOfBirthMatches: false, nationalityMatches: false, expiresOnMatches: true });
  t.match(differs.alerts, [{ code: 'DOCUMENT_DATA_MISMATCH' }]);
  const expired = await expectCard(t, { mrz: td3({ expiresOn: '2020-02-02' }) }, trav.passport);
  t.equal(expired.documentChecks.expired, true);
  t.equal(expired.documentChecks.mrz.expiresOnMatches, false);
});

t.test('a bad MRZ check digit is a 422 naming the failed check digit', async (t) => {
  const good = td3();
  const [l1, l2] = good.split('\n') as [string, string];
  const flip = (line: string, pos: number) => line.slice(0, pos) + String((Number(line[pos]) + 1) % 10) + line.slice(pos + 1);
  const a0 = await auditHead(ctx.db);

  const birth = await postLookup(ctx, officer.token, { mrz: `${l1}\n${flip(l2, 19)}` });
  t.equal(birth.statusCode, 422, birth.body);
  t.match(birth.headers['content-type'], /application\/problem\+json/);
  const paths = (birth.json().errors as { path: string }[]).map((e) => e.path);
  t.ok(paths.includes('mrz.dateOfBirthCheckDigit'), `names the birth date check digit: ${birth.body}`);
  t.notOk(paths.includes('mrz.documentNumberCheckDigit'));
  t.match(birth.json().detail, /date of birth/);

  const number = await postLookup(ctx, officer.token, { mrz: `${l1}\n${flip(l2, 9)}` });
  t.equal(number.statusCode, 422, number.body);
  t.ok((number.json().errors as { path: string }[]).some((e) => e.path === 'mrz.documentNumberCheckDigit'), number.body);

  const composite = await postLookup(ctx, officer.token, { mrz: `${l1}\n${flip(l2, 43)}` });
  t.equal(composite.statusCode, 422, composite.body);
  t.same((composite.json().errors as { path: string }[]).map((e) => e.path), ['mrz.compositeCheckDigit']);

  // The same MRZ through a crossing is a 422 too, and writes nothing.
  const crossing = await postCrossing(ctx, officer.token, { checkpoint: 'LMC', direction: 'HK_TO_SZ', traveller: { mrz: `${l1}\n${flip(l2, 27)}` } });
  t.equal(crossing.statusCode, 422, crossing.body);
  t.ok((crossing.json().errors as { path: string }[]).some((e) => e.path === 'traveller.mrz.expiryDateCheckDigit'), crossing.body);
  t.same(await auditAfter(ctx.db, a0), [], 'a malformed MRZ is nobody: no audit event, no crossing');
});

t.test('nobody matches: 404 problem+json, and the attempt is audited without the number', async (t) => {
  const a0 = await auditHead(ctx.db);
  const res = await postLookup(ctx, officer.token, passportRef('ZZ9876543'));
  t.equal(res.statusCode, 404, res.body);
  t.match(res.headers['content-type'], /application\/problem\+json/);
  t.match(res.json(), { status: 404, code: 'NOT_FOUND', type: String, title: String, detail: String });
  t.notOk(res.body.includes('ZZ9876543'));

  const byMrz = await postLookup(ctx, officer.token, { mrz: td3({ documentNumber: 'ZZ1234567' }) });
  t.equal(byMrz.statusCode, 404, byMrz.body);

  const events = await auditAfter(ctx.db, a0);
  t.equal(events.length, 2, 'each lookup, found or not, is in the audit chain');
  t.match(events, [
    { action: 'clearance.lookup_no_match', actor: officer.userId, subject: null, data: { checkpoint: 'LMC', via: 'document', documentKind: 'passport' } },
    { action: 'clearance.lookup_no_match', data: { checkpoint: 'LMC', via: 'mrz' } },
  ]);
  t.notOk(JSON.stringify(events[0]?.data).includes('ZZ9876543'));
  t.notOk(JSON.stringify(events[1]?.data).includes('ZZ1234567'));

  const verify = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: supervisor.token });
  t.match(verify.json(), { ok: true, firstBadSeq: null });
});

// ---- suspension --------------------------------------------------------------

/** Calls a researcher workflow action through the API when it exists, else writes the status as it would. */
async function researcherAction(t: Tap, researcherId: string, action: 'approve' | 'suspend') {
  const url = `/v1/researchers/${researcherId}/${action}`;
  if (ctx.app.hasRoute({ method: 'POST', url: '/v1/researchers/:id/' + action })) {
    const current = await ctx.request({ method: 'GET', url: `/v1/researchers/${researcherId}`, token: supervisor.token });
    const etag = current.headers.etag;
    const res = await ctx.request({
      method: 'POST',
      url,
      token: supervisor.token,
      headers: typeof etag === 'string' ? { 'if-match': etag } : {},
      payload: action === 'approve' ? { validFrom: '2024-01-01', validUntil: '2099-06-30' } : { reason: 'Left the institution' },
    });
    t.equal(res.statusCode, 200, `${action} through the API: ${res.body}`);
    return;
  }
  t.comment(`POST /v1/researchers/:id/${action} is not there yet: the status is written in the database`);
  await ctx.db
    .update(researchers)
    .set(action === 'approve' ? { status: 'approved', validFrom: '2024-01-01', validUntil: '2099-06-30' } : { status: 'suspended', statusReason: 'Left the institution' })
    .where(eq(researchers.id, researcherId));
}

t.test('suspension takes effect on the very next lookup and crossing', async (t) => {
  const person = await insertTraveller(ctx.db, { status: 'nominated', validFrom: null, validUntil: null });
  const kit = await insertItem(ctx.db, person.institutionId, [person.researcher.id], { category: 'equipment', homeSide: 'HK' });
  const look = () => postLookup(ctx, officer.token, passportRef(person.passport));
  const crossWith = (direction: 'HK_TO_SZ' | 'SZ_TO_HK') =>
    postCrossing(ctx, officer.token, { checkpoint: 'LMC', direction, traveller: passportRef(person.passport), items: [{ itemId: kit.id }] });

  let card = (await look()).json();
  t.match(card.whitelist, { status: 'nominated', inGoodStanding: false });
  t.match(card.alerts, [{ code: 'TRAVELLER_NOT_APPROVED' }]);

  await researcherAction(t, person.researcher.id, 'approve');
  card = (await look()).json();
  t.match(card.whitelist, { status: 'approved', validUntil: '2099-06-30', inGoodStanding: true });
  t.same(card.alerts, []);
  const out = await crossWith('HK_TO_SZ');
  t.equal(out.json<CrossingAnswer>().decision, 'CLEARED', out.body);
  const there = await itemState(ctx.db, kit.id);
  t.equal(there.currentSide, 'SZ');

  await researcherAction(t, person.researcher.id, 'suspend');
  const after = await look();
  t.equal(after.statusCode, 200, after.body);
  card = after.json();
  t.equal(card.researcher.status, 'suspended');
  t.match(card.whitelist, { status: 'suspended', inGoodStanding: false });
  t.match(card.alerts, [{ code: 'TRAVELLER_SUSPENDED' }]);
  const back = await crossWith('SZ_TO_HK');
  t.equal(back.json<CrossingAnswer>().decision, 'FLAGGED', back.body);
  t.same(codesOf(back.json()), ['TRAVELLER_SUSPENDED']);
  t.same(await itemState(ctx.db, kit.id), there, 'the suspended traveller’s laptop did not move');
});

t.test('the card shows a lapsed whitelist as expired, and overdue equipment', async (t) => {
  const lapsed = await insertTraveller(ctx.db, { validFrom: '2020-01-01', validUntil: '2021-12-31' });
  const old = await postLookup(ctx, officer.token, passportRef(lapsed.passport));
  t.equal(old.statusCode, 200, old.body);
  t.match(old.json(), {
    researcher: { status: 'expired' },
    whitelist: { status: 'expired', validUntil: '2021-12-31', inGoodStanding: false },
    alerts: [{ code: 'WHITELIST_EXPIRED' }],
  });

  const away = await insertTraveller(ctx.db);
  const kit = await insertItem(ctx.db, away.institutionId, [away.researcher.id], { category: 'equipment', homeSide: 'HK', maxDaysAbroad: 2 });
  const out = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef(away.passport),
    items: [{ itemId: kit.id }],
  });
  t.equal(out.json().decision, 'CLEARED', out.body);
  const { returnBy } = await itemState(ctx.db, kit.id);
  ctx.clock.advance(3 * 86_400_000);
  try {
    const card = (await postLookup(ctx, officer.token, passportRef(away.passport))).json();
    t.match(card.items.find((i: { id: string }) => i.id === kit.id), { currentSide: 'SZ', returnBy, overdue: true });
    t.same(card.alerts.map((a: { code: string; itemId?: string }) => [a.code, a.itemId]), [['RETURN_OVERDUE', kit.id]]);
    t.equal(card.whitelist.inGoodStanding, true, 'overdue equipment is an alert, not a whitelist state');
  } finally {
    ctx.clock.set(new Date());
  }
});
