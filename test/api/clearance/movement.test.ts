// What a CLEARED crossing moves (equipment sides and return deadlines, consumables
// drawn down, data recorded), the item ledger, Idempotency-Key, and inspections.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp } from '../../support/app.js';
import { insertItem, insertTraveller } from '../../support/travellers.js';
import {
  auditAfter,
  auditHead,
  type CrossingAnswer,
  codesOf,
  countRows,
  DAY_MS,
  freshKey,
  itemState,
  itemStates,
  movementsOfCrossing,
  movementsOfItem,
  passportRef,
  postCrossing,
  postLookup,
  storedSerial,
} from '../../support/desk.js';

const ctx = await buildTestApp(t);
const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
const colleague = await ctx.caller('officer', { checkpoint: 'LMC' });
const elsewhere = await ctx.caller('officer', { checkpoint: 'SZB' });
const supervisor = await ctx.caller('supervisor');
// Moving time on makes the ledger order unambiguous (and is what happens at a border).
ctx.clock.set('2030-03-01T02:00:00Z');
const step = () => ctx.clock.advance(60 * 60 * 1000);

const crossingCount = () => countRows(ctx.db, sql`select count(*) as n from crossings`);

t.test('equipment: leaving home sets currentSide and returnBy = now + maxDaysAbroad; coming home clears it', async (t) => {
  const trav = await insertTraveller(ctx.db);
  const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], {
    category: 'equipment',
    homeSide: 'HK',
    maxDaysAbroad: 14,
  });
  const scope = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], {
    category: 'equipment',
    homeSide: 'SZ',
    maxDaysAbroad: 7,
    serialNumber: storedSerial('SCOPE'),
  });

  step();
  const leftAt = ctx.clock.now.getTime();
  const out = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef(trav.passport),
    items: [{ itemId: laptop.id }],
  });
  t.equal(out.statusCode, 201, out.body);
  const c1 = out.json<CrossingAnswer>();
  t.equal(c1.decision, 'CLEARED');
  t.same(c1.reasons, []);
  t.equal(out.headers.location, `/v1/crossings/${c1.id}`);
  t.match(c1, { checkpoint: 'LMC', direction: 'HK_TO_SZ', traveller: { researcherId: trav.researcher.id }, decidedAt: new Date(leftAt).toISOString() });
  const away = await itemState(ctx.db, laptop.id);
  t.equal(away.currentSide, 'SZ');
  t.equal(away.returnBy, new Date(leftAt + 14 * DAY_MS).toISOString(), 'returnBy = now + 14 days');

  // The officer's card shows where it is and when it is due back.
  const card = await postLookup(ctx, officer.token, passportRef(trav.passport));
  t.equal(card.statusCode, 200, card.body);
  t.match(card.json().items.find((i: { id: string }) => i.id === laptop.id), {
    currentSide: 'SZ',
    returnBy: new Date(leftAt + 14 * DAY_MS).toISOString(),
    overdue: false,
  });

  // An SZ-home item leaving SZ also opens a deadline; the HK laptop going back home clears its own.
  step();
  const back = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'SZ_TO_HK',
    traveller: passportRef(trav.passport),
    items: [{ itemId: laptop.id }, { serialNumber: scope.serialNumber! }],
  });
  t.equal(back.json().decision, 'CLEARED', back.body);
  const c2 = back.json<CrossingAnswer>();
  t.same(await itemState(ctx.db, laptop.id), { ...away, currentSide: 'HK', returnBy: null, version: away.version + 1 });
  const scopeNow = await itemState(ctx.db, scope.id);
  t.equal(scopeNow.currentSide, 'HK');
  t.equal(scopeNow.returnBy, new Date(ctx.clock.now.getTime() + 7 * DAY_MS).toISOString());

  const moves = await movementsOfItem(ctx.db, laptop.id);
  t.match(moves, [
    { crossing_id: c1.id, kind: 'moved', from_side: 'HK', to_side: 'SZ', inspection_id: null },
    { crossing_id: c2.id, kind: 'moved', from_side: 'SZ', to_side: 'HK', return_by: null },
  ]);
  t.equal(moves.length, 2);

  // The ledger: the movements, in order, with their crossings.
  const hist = await ctx.request({ method: 'GET', url: `/v1/items/${laptop.id}/history`, token: officer.token });
  t.equal(hist.statusCode, 200, hist.body);
  t.equal(hist.json().itemId, laptop.id);
  const moved = hist.json().entries.filter((e: { kind: string }) => e.kind === 'moved');
  t.match(moved, [
    { crossingId: c1.id, fromSide: 'HK', toSide: 'SZ', returnBy: new Date(leftAt + 14 * DAY_MS).toISOString(), inspectionId: null, actor: officer.userId },
    { crossingId: c2.id, fromSide: 'SZ', toSide: 'HK', returnBy: null },
  ]);
  t.equal(moved.length, 2);
});

t.test('the ledger lists registration steps and movements in order', async (t) => {
  const trav = await insertTraveller(ctx.db);
  const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', status: 'endorsed', validUntil: null });
  step();
  const approve = await ctx.request({
    method: 'POST',
    url: `/v1/items/${laptop.id}/approve`,
    token: supervisor.token,
    payload: { validUntil: '2099-12-31' },
  });
  t.equal(approve.statusCode, 200, approve.body);
  step();
  const out = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef(trav.passport),
    items: [{ itemId: laptop.id }],
  });
  t.equal(out.json().decision, 'CLEARED', out.body);
  step();
  const home = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'SZ_TO_HK',
    traveller: passportRef(trav.passport),
    items: [{ itemId: laptop.id }],
  });
  t.equal(home.json().decision, 'CLEARED', home.body);

  const hist = await ctx.request({ method: 'GET', url: `/v1/items/${laptop.id}/history`, token: supervisor.token });
  t.equal(hist.statusCode, 200, hist.body);
  const entries = hist.json().entries as { kind: string; at: string; crossingId: string | null; status: string | null; toSide: string | null }[];
  t.match(entries, [
    { kind: 'item.approve', status: 'approved', crossingId: null },
    { kind: 'moved', crossingId: out.json().id, toSide: 'SZ' },
    { kind: 'moved', crossingId: home.json().id, toSide: 'HK' },
  ]);
  t.equal(entries.length, 3);
  const times = entries.map((e) => e.at);
  t.same(times, [...times].sort(), 'in time order');
});

t.test('consumables draw down remainingQuantity; data moves nothing but is recorded', async (t) => {
  const trav = await insertTraveller(ctx.db);
  const reagent = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'reagent', quantity: 100, unit: 'mL' });
  const sample = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], {
    category: 'biological_sample',
    quantity: 10,
    unit: 'vial',
  });
  const data = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'data', classification: 'public' });
  const dataBefore = await itemState(ctx.db, data.id);

  step();
  const first = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef(trav.passport),
    items: [
      { itemId: reagent.id, quantity: 30 },
      { itemId: sample.id, quantity: 4 },
      { itemId: data.id, sha256: data.sha256!.toUpperCase() },
    ],
  });
  t.equal(first.statusCode, 201, first.body);
  t.equal(first.json().decision, 'CLEARED', first.body);
  const c1 = first.json<CrossingAnswer>();
  t.equal((await itemState(ctx.db, reagent.id)).remainingQuantity, 70);
  t.equal((await itemState(ctx.db, sample.id)).remainingQuantity, 6);
  t.same(await itemState(ctx.db, data.id), dataBefore, 'the data item itself is unchanged');
  t.match(c1.items, [
    { line: 1, itemId: reagent.id, quantity: 30 },
    { line: 2, itemId: sample.id, quantity: 4 },
    { line: 3, itemId: data.id, sha256: data.sha256!.toLowerCase() },
  ]);
  const moves = await movementsOfCrossing(ctx.db, c1.id);
  t.equal(moves.length, 3);
  t.match(moves.find((m) => m.item_id === reagent.id), { kind: 'consumed', quantity: 30, remaining_after: 70 });
  t.match(moves.find((m) => m.item_id === sample.id), { kind: 'consumed', quantity: 4, remaining_after: 6 });
  t.match(moves.find((m) => m.item_id === data.id), { kind: 'copied', from_side: 'HK', to_side: 'SZ', quantity: null });

  // Two lines of the same reagent in one crossing draw both.
  step();
  const second = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'SZ_TO_HK',
    traveller: passportRef(trav.passport),
    items: [
      { itemId: reagent.id, quantity: 10 },
      { itemId: reagent.id, quantity: 20 },
    ],
  });
  t.equal(second.json().decision, 'CLEARED', second.body);
  t.equal((await itemState(ctx.db, reagent.id)).remainingQuantity, 40);

  // Exactly the remaining quantity is allowed; a crossing then finds none left.
  step();
  const rest = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef(trav.passport),
    items: [{ itemId: reagent.id, quantity: 40 }],
  });
  t.equal(rest.json().decision, 'CLEARED', rest.body);
  t.equal((await itemState(ctx.db, reagent.id)).remainingQuantity, 0);
  step();
  const none = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef(trav.passport),
    items: [{ itemId: reagent.id, quantity: 1 }],
  });
  t.same(codesOf(none.json()), ['QUANTITY_EXCEEDED']);

  const hist = await ctx.request({ method: 'GET', url: `/v1/items/${reagent.id}/history`, token: officer.token });
  t.equal(hist.statusCode, 200, hist.body);
  const consumed = hist.json().entries.filter((e: { kind: string }) => e.kind === 'consumed');
  t.same(
    consumed.map((e: { remainingAfter: number }) => e.remainingAfter).sort((a: number, b: number) => b - a),
    [70, 60, 40, 0],
  );
  t.same(consumed.map((e: { remainingAfter: number }) => e.remainingAfter).slice(0, 1), [70], 'the first draw comes first');
  t.same(consumed.slice(-1).map((e: { remainingAfter: number }) => e.remainingAfter), [0], 'the last draw comes last');
  const dataHist = await ctx.request({ method: 'GET', url: `/v1/items/${data.id}/history`, token: officer.token });
  t.match(dataHist.json().entries, [{ kind: 'copied', crossingId: c1.id, fromSide: 'HK', toSide: 'SZ' }]);
});

t.test('a reagent or sample declared without a quantity is a 422 naming the line, and writes nothing', async (t) => {
  const trav = await insertTraveller(ctx.db);
  const reagent = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'reagent' });
  const before = await crossingCount();
  const res = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef(trav.passport),
    items: [{ itemId: reagent.id }],
  });
  t.equal(res.statusCode, 422, res.body);
  t.match(res.json().errors, [{ path: 'items.0.quantity' }]);
  t.equal(await crossingCount(), before);
});

t.test('a serial number is matched in any spelling that normalises to the registered one', async (t) => {
  // Registration stores serial numbers trimmed, with single spaces, upper case
  // (normalizeSerialNumber); GET /v1/items?serialNumber= normalises the same way.
  const trav = await insertTraveller(ctx.db);
  const serial = `HT-LAPTOP-${randomBytes(3).toString('hex').toUpperCase()}`;
  const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', serialNumber: serial });
  step();
  const res = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef(trav.passport),
    items: [{ serialNumber: `  ${serial.toLowerCase()} ` }],
  });
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().decision, 'CLEARED', `a lower-case serial of a registered laptop is not ITEM_NOT_REGISTERED: ${res.body}`);
  t.equal(res.json().items[0]?.itemId, laptop.id);
  t.equal((await itemState(ctx.db, laptop.id)).currentSide, 'SZ');
});

t.test('Idempotency-Key: required; a replay answers the first crossing; another body is a 409', async (t) => {
  const trav = await insertTraveller(ctx.db);
  const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment' });
  const body = {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ' as const,
    traveller: passportRef(trav.passport),
    items: [{ itemId: laptop.id }],
  };
  const n0 = await crossingCount();
  const a0 = await auditHead(ctx.db);

  const missing = await postCrossing(ctx, officer.token, body, null);
  t.equal(missing.statusCode, 428, missing.body);
  t.match(missing.headers['content-type'], /application\/problem\+json/);
  t.match(missing.json(), { status: 428, code: String });
  t.equal(await crossingCount(), n0, 'nothing written without a key');
  t.equal((await itemState(ctx.db, laptop.id)).currentSide, 'HK');

  step();
  const key = freshKey();
  const first = await postCrossing(ctx, officer.token, body, key);
  t.equal(first.statusCode, 201, first.body);
  t.equal(first.json().decision, 'CLEARED');
  t.notOk(first.headers['idempotent-replayed']);
  const moved = await itemState(ctx.db, laptop.id);
  t.equal(moved.currentSide, 'SZ');

  step();
  const again = await postCrossing(ctx, officer.token, body, key);
  t.equal(again.statusCode, 201, again.body);
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(again.json().id, first.json().id, 'the same crossing');
  t.same(again.json(), first.json(), 'the first answer, not a new decision (which would be ITEM_LOCATION_MISMATCH)');
  t.equal(again.headers.location, `/v1/crossings/${first.json().id}`);
  t.same(await itemState(ctx.db, laptop.id), moved, 'nothing moved twice');
  t.equal((await movementsOfItem(ctx.db, laptop.id)).length, 1);
  t.equal(await crossingCount(), n0 + 1);

  const other = await postCrossing(ctx, officer.token, { ...body, direction: 'SZ_TO_HK' }, key);
  t.equal(other.statusCode, 409, other.body);
  t.match(other.json(), { status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });
  t.equal(await crossingCount(), n0 + 1, 'nothing written by the 409');
  t.same(await itemState(ctx.db, laptop.id), moved);

  // The key is the officer's own: a colleague using the same string makes a crossing of their own.
  const theirs = await postCrossing(ctx, colleague.token, body, key);
  t.equal(theirs.statusCode, 201, theirs.body);
  t.not(theirs.json().id, first.json().id);
  t.notOk(theirs.headers['idempotent-replayed']);
  t.same(codesOf(theirs.json()), ['ITEM_LOCATION_MISMATCH']);

  const events = (await auditAfter(ctx.db, a0)).filter((e) => e.action === 'crossing.decide');
  t.equal(events.length, 2, 'one audit event per crossing, none for the replay or the refusals');
});

t.test('inspection: RELEASED moves the items as if cleared; once only; never on a CLEARED crossing', async (t) => {
  const trav = await insertTraveller(ctx.db, { passportExpires: '2021-01-01' }); // DOCUMENT_EXPIRED
  const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', maxDaysAbroad: 10 });
  const reagent = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'reagent', quantity: 50 });
  step();
  const flagged = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef(trav.passport),
    items: [{ itemId: laptop.id }, { itemId: reagent.id, quantity: 20 }],
  });
  t.equal(flagged.json().decision, 'FLAGGED', flagged.body);
  const crossingId = flagged.json().id as string;
  const before = await itemStates(ctx.db, [laptop.id, reagent.id]);

  // An officer of another checkpoint does not see it.
  const stranger = await ctx.request({
    method: 'POST',
    url: `/v1/crossings/${crossingId}/inspection`,
    token: elsewhere.token,
    payload: { outcome: 'RELEASED', notes: 'not mine' },
  });
  t.equal(stranger.statusCode, 404, stranger.body);
  t.equal(await countRows(ctx.db, sql`select count(*) as n from inspections where crossing_id = ${crossingId}::uuid`), 0);
  t.same(await itemStates(ctx.db, [laptop.id, reagent.id]), before);

  step();
  const releasedAt = ctx.clock.now.getTime();
  const a0 = await auditHead(ctx.db);
  const rel = await ctx.request({
    method: 'POST',
    url: `/v1/crossings/${crossingId}/inspection`,
    token: officer.token,
    payload: { outcome: 'RELEASED', notes: 'Passport renewal in progress; supervisor consulted' },
  });
  t.equal(rel.statusCode, 201, rel.body);
  const insp = rel.json();
  t.match(insp, { crossingId, outcome: 'RELEASED', officerId: officer.userId, checkpoint: 'LMC', recordedAt: new Date(releasedAt).toISOString() });

  const laptopNow = await itemState(ctx.db, laptop.id);
  t.equal(laptopNow.currentSide, 'SZ');
  t.equal(laptopNow.returnBy, new Date(releasedAt + 10 * DAY_MS).toISOString());
  t.equal((await itemState(ctx.db, reagent.id)).remainingQuantity, 30);
  const moves = await movementsOfCrossing(ctx.db, crossingId);
  t.equal(moves.length, 2);
  t.ok(moves.every((m) => m.inspection_id === insp.id), 'the movements name the inspection');
  const hist = await ctx.request({ method: 'GET', url: `/v1/items/${laptop.id}/history`, token: officer.token });
  t.match(hist.json().entries, [{ kind: 'moved', crossingId, inspectionId: insp.id, fromSide: 'HK', toSide: 'SZ' }]);
  const audit = await auditAfter(ctx.db, a0);
  t.match(audit, [{ action: 'crossing.inspection', subject: `crossing:${crossingId}`, data: { outcome: 'RELEASED', inspectionId: insp.id } }]);

  // The crossing record is unchanged: still FLAGGED, now with its inspection.
  const got = await ctx.request({ method: 'GET', url: `/v1/crossings/${crossingId}`, token: officer.token });
  t.match(got.json(), { decision: 'FLAGGED', reasons: [{ code: 'DOCUMENT_EXPIRED' }], inspection: { id: insp.id, outcome: 'RELEASED' } });

  const twice = await ctx.request({
    method: 'POST',
    url: `/v1/crossings/${crossingId}/inspection`,
    token: officer.token,
    payload: { outcome: 'DETAINED', notes: 'second thoughts' },
  });
  t.equal(twice.statusCode, 409, twice.body);
  t.equal(twice.json().code, 'INSPECTION_ALREADY_RECORDED');
  t.equal((await movementsOfCrossing(ctx.db, crossingId)).length, 2, 'nothing moved again');

  const ok = await postCrossing(ctx, officer.token, {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: passportRef((await insertTraveller(ctx.db)).passport),
  });
  t.equal(ok.json().decision, 'CLEARED', ok.body);
  const onCleared = await ctx.request({
    method: 'POST',
    url: `/v1/crossings/${ok.json().id}/inspection`,
    token: officer.token,
    payload: { outcome: 'RELEASED', notes: 'n/a' },
  });
  t.equal(onCleared.statusCode, 409, onCleared.body);
  t.equal(onCleared.json().code, 'CROSSING_NOT_FLAGGED');
});

t.test('inspection: DETAINED and REFUSED_ENTRY move nothing', async (t) => {
  for (const outcome of ['DETAINED', 'REFUSED_ENTRY'] as const) {
    const trav = await insertTraveller(ctx.db, { status: 'suspended' });
    const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment' });
    step();
    const flagged = await postCrossing(ctx, officer.token, {
      checkpoint: 'LMC',
      direction: 'HK_TO_SZ',
      traveller: passportRef(trav.passport),
      items: [{ itemId: laptop.id }],
    });
    t.equal(flagged.json().decision, 'FLAGGED');
    const before = await itemState(ctx.db, laptop.id);
    const res = await ctx.request({
      method: 'POST',
      url: `/v1/crossings/${flagged.json().id}/inspection`,
      token: officer.token,
      payload: { outcome, notes: 'held for the supervisor' },
    });
    t.equal(res.statusCode, 201, res.body);
    t.equal(res.json().outcome, outcome);
    t.same(await itemState(ctx.db, laptop.id), before);
    t.same(await movementsOfCrossing(ctx.db, flagged.json().id), []);
  }
});
