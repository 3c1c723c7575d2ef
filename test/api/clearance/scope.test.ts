// Who may do and see what at the border: officers at their own checkpoint only,
// crossing lists and single crossings by scope, and the two reports.
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { buildTestApp, type Caller } from '../../support/app.js';
import { insertItem, insertTraveller } from '../../support/travellers.js';
import {
  auditHead,
  type CrossingAnswer,
  countRows,
  type DeclaredLine,
  DAY_MS,
  freshKey,
  itemState,
  passportRef,
  postCrossing,
  postLookup,
} from '../../support/desk.js';
import { insertInstitution } from '../../support/records.js';

type Tap = Test;

const ctx = await buildTestApp(t);
ctx.clock.set('2031-02-01T01:00:00Z');
const step = () => ctx.clock.advance(10 * 60 * 1000);

const instA = await insertInstitution(ctx.db, { side: 'HK', name: 'University of Hong Kong (test)' });
const instB = await insertInstitution(ctx.db, { side: 'SZ', name: 'Shenzhen Institute (test)' });
const travA = await insertTraveller(ctx.db, { institutionId: instA.id });
const travB = await insertTraveller(ctx.db, { institutionId: instB.id });

const officerLMC = await ctx.caller('officer', { checkpoint: 'LMC' });
const officerSZB = await ctx.caller('officer', { checkpoint: 'SZB' });
const supervisor = await ctx.caller('supervisor');
const auditor = await ctx.caller('auditor');
const adminA = await ctx.caller('institution_admin', { institutionId: instA.id });
const adminB = await ctx.caller('institution_admin', { institutionId: instB.id });
const researcherA = await ctx.caller('researcher', { researcherId: travA.researcher.id, institutionId: instA.id });
const nonOfficers: [string, Caller][] = [
  ['supervisor', supervisor],
  ['institution_admin', adminA],
  ['researcher', researcherA],
  ['auditor', auditor],
];

const crossingCount = () => countRows(ctx.db, sql`select count(*) as n from crossings`);

async function crossAs(officer: Caller, trav: { passport: string }, direction: 'SZ_TO_HK' | 'HK_TO_SZ', items: DeclaredLine[] = []) {
  step();
  const res = await postCrossing(ctx, officer.token, { checkpoint: officer.scope.checkpoint!, direction, traveller: passportRef(trav.passport), items });
  if (res.statusCode !== 201) throw new Error(`crossing failed: ${res.statusCode} ${res.body}`);
  return res.json<CrossingAnswer>();
}

// A few crossings to look at: two at LMC (staff of A and of B), one at SZB (staff of B), one of nobody at LMC.
const c1 = await crossAs(officerLMC, travA, 'HK_TO_SZ');
const c2 = await crossAs(officerLMC, travB, 'SZ_TO_HK');
const c3 = await crossAs(officerSZB, travB, 'HK_TO_SZ');
const c4 = await crossAs(officerLMC, { passport: 'NOBODY123' }, 'HK_TO_SZ');

async function listAll(t: Tap, token: string, query = ''): Promise<CrossingAnswer[]> {
  const out: CrossingAnswer[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const qs = new URLSearchParams(query);
    qs.set('limit', '2');
    if (cursor) qs.set('cursor', cursor);
    const res = await ctx.request({ method: 'GET', url: `/v1/crossings?${qs}`, token });
    t.equal(res.statusCode, 200, res.body);
    out.push(...(res.json().items as CrossingAnswer[]));
    cursor = res.json().nextCursor;
    if (!cursor) break;
  }
  return out;
}

t.test('an officer cannot record a crossing at another checkpoint: 403, nothing written', async (t) => {
  const laptop = await insertItem(ctx.db, instA.id, [travA.researcher.id], { category: 'equipment' });
  const before = await itemState(ctx.db, laptop.id);
  const n0 = await crossingCount();
  const a0 = await auditHead(ctx.db);
  const key = freshKey();
  const body = { checkpoint: 'SZB', direction: 'HK_TO_SZ' as const, traveller: passportRef(travA.passport), items: [{ itemId: laptop.id }] };
  const res = await postCrossing(ctx, officerLMC.token, body, key);
  t.equal(res.statusCode, 403, res.body);
  t.match(res.headers['content-type'], /application\/problem\+json/);
  t.equal(res.json().code, 'FORBIDDEN');
  t.equal(await crossingCount(), n0);
  t.equal(await auditHead(ctx.db), a0, 'no audit event');
  t.same(await itemState(ctx.db, laptop.id), before);
  // The refused request did not use up its Idempotency-Key.
  const retry = await postCrossing(ctx, officerLMC.token, { ...body, checkpoint: 'LMC' }, key);
  t.equal(retry.statusCode, 201, retry.body);
  t.equal(retry.json().decision, 'CLEARED');
});

t.test('only officers look up, declare crossings and record inspections', async (t) => {
  const n0 = await crossingCount();
  const a0 = await auditHead(ctx.db);
  for (const [role, caller] of nonOfficers) {
    const look = await postLookup(ctx, caller.token, passportRef(travA.passport));
    t.equal(look.statusCode, 403, `${role} lookup: ${look.body}`);
    const cross = await postCrossing(ctx, caller.token, { checkpoint: 'LMC', direction: 'HK_TO_SZ', traveller: passportRef(travA.passport) });
    t.equal(cross.statusCode, 403, `${role} crossing: ${cross.body}`);
    const insp = await ctx.request({
      method: 'POST',
      url: `/v1/crossings/${c4.id}/inspection`,
      token: caller.token,
      payload: { outcome: 'RELEASED', notes: 'x' },
    });
    t.equal(insp.statusCode, 403, `${role} inspection: ${insp.body}`);
  }
  const anonymous = await ctx.request({ method: 'POST', url: '/v1/clearance/lookup', payload: passportRef(travA.passport) });
  t.equal(anonymous.statusCode, 401);
  t.equal(await crossingCount(), n0);
  t.equal(await auditHead(ctx.db), a0, 'no lookup was audited: none happened');
  t.equal(await countRows(ctx.db, sql`select count(*) as n from inspections`), 0);
});

t.test('GET /v1/crossings: supervisor all, officer own checkpoint, institution admin own staff, others 403', async (t) => {
  const all = await listAll(t, supervisor.token);
  const total = await crossingCount();
  t.equal(all.length, total, 'the supervisor pages through every crossing');
  t.equal(new Set(all.map((c) => c.id)).size, total, 'no duplicates across pages');
  const ids = all.map((c) => c.id);
  t.same(ids, [...ids].sort().reverse(), 'newest first');
  for (const c of [c1, c2, c3, c4]) t.ok(ids.includes(c.id));

  const lmc = await listAll(t, officerLMC.token);
  t.ok(lmc.length > 0 && lmc.every((c) => c.checkpoint === 'LMC'), 'LMC officer: LMC only');
  t.ok(lmc.some((c) => c.id === c4.id));
  t.notOk(lmc.some((c) => c.id === c3.id));
  const szb = await listAll(t, officerSZB.token);
  t.same(szb.map((c) => c.id), [c3.id]);
  const own = await ctx.request({ method: 'GET', url: '/v1/crossings?checkpoint=LMC', token: officerLMC.token });
  t.equal(own.statusCode, 200);
  const other = await ctx.request({ method: 'GET', url: '/v1/crossings?checkpoint=SZB', token: officerLMC.token });
  t.equal(other.statusCode, 403, other.body);

  const ofA = await listAll(t, adminA.token);
  t.ok(ofA.length > 0 && ofA.every((c) => c.traveller?.institutionId === instA.id), 'admin A: own staff only');
  t.ok(ofA.some((c) => c.id === c1.id));
  const ofB = await listAll(t, adminB.token);
  t.same(ofB.map((c) => c.id).sort(), [c2.id, c3.id].sort(), 'admin B: its staff at any checkpoint, nobody else');
  const ofBatLMC = await listAll(t, adminB.token, 'checkpoint=LMC');
  t.same(ofBatLMC.map((c) => c.id), [c2.id]);

  for (const caller of [researcherA, auditor]) {
    const res = await ctx.request({ method: 'GET', url: '/v1/crossings', token: caller.token });
    t.equal(res.statusCode, 403, `${caller.role}: ${res.body}`);
  }

  // Filters.
  const flagged = await listAll(t, supervisor.token, 'decision=FLAGGED');
  t.ok(flagged.length > 0 && flagged.every((c) => c.decision === 'FLAGGED'));
  t.ok(flagged.some((c) => c.id === c4.id));
  const sz = await listAll(t, supervisor.token, 'direction=SZ_TO_HK');
  t.same(sz.map((c) => c.id), [c2.id]);
  const window = await listAll(t, supervisor.token, `from=${encodeURIComponent(c2.decidedAt)}&to=${encodeURIComponent(c4.decidedAt)}`);
  t.same(window.map((c) => c.id), [c3.id, c2.id], 'from inclusive, to exclusive');
  const byResearcher = await listAll(t, supervisor.token, `researcherId=${travB.researcher.id}`);
  t.same(byResearcher.map((c) => c.id).sort(), [c2.id, c3.id].sort());
});

t.test('GET /v1/crossings/{id} out of scope is a 404', async (t) => {
  const get = (token: string, id: string) => ctx.request({ method: 'GET', url: `/v1/crossings/${id}`, token });
  t.equal((await get(supervisor.token, c3.id)).statusCode, 200);
  t.equal((await get(officerLMC.token, c1.id)).statusCode, 200);
  t.equal((await get(officerLMC.token, c3.id)).statusCode, 404, 'another checkpoint');
  t.equal((await get(officerSZB.token, c1.id)).statusCode, 404, 'another checkpoint');
  t.equal((await get(adminA.token, c1.id)).statusCode, 200);
  t.equal((await get(adminA.token, c2.id)).statusCode, 404, 'another institution’s staff');
  t.equal((await get(adminA.token, c4.id)).statusCode, 404, 'nobody’s crossing');
  t.equal((await get(adminB.token, c1.id)).statusCode, 404);
  const missing = await get(supervisor.token, '01900000-0000-7000-8000-000000000000');
  t.equal(missing.statusCode, 404);
  t.equal((await get(researcherA.token, c1.id)).statusCode, 403);
  t.equal((await get(auditor.token, c1.id)).statusCode, 403);
});

t.test('GET /v1/items/{id}/history by scope', async (t) => {
  const kit = await insertItem(ctx.db, instA.id, [travA.researcher.id], { category: 'equipment' });
  t.equal((await crossAs(officerLMC, travA, 'HK_TO_SZ', [{ itemId: kit.id }])).decision, 'CLEARED');
  const hist = (caller: Caller, id = kit.id) => ctx.request({ method: 'GET', url: `/v1/items/${id}/history`, token: caller.token });
  for (const caller of [supervisor, officerLMC, officerSZB, adminA, researcherA]) {
    const res = await hist(caller);
    t.equal(res.statusCode, 200, `${caller.role}: ${res.body}`);
    t.equal(res.json().entries.filter((e: { kind: string }) => e.kind === 'moved').length, 1);
  }
  t.equal((await hist(adminB)).statusCode, 404, 'another institution’s item');
  const researcherB = await ctx.caller('researcher', { researcherId: travB.researcher.id, institutionId: instB.id });
  t.equal((await hist(researcherB)).statusCode, 404, 'not a custodian');
  t.equal((await hist(auditor)).statusCode, 403);
  t.equal((await hist(supervisor, '01900000-0000-7000-8000-000000000000')).statusCode, 404);
});

t.test('reports/overdue-returns: supervisor all, institution admin its own, others 403', async (t) => {
  const a1 = await insertItem(ctx.db, instA.id, [travA.researcher.id], { category: 'equipment', homeSide: 'HK', maxDaysAbroad: 5 });
  const a2 = await insertItem(ctx.db, instA.id, [travA.researcher.id], { category: 'equipment', homeSide: 'HK', maxDaysAbroad: 60 });
  const b1 = await insertItem(ctx.db, instB.id, [travB.researcher.id], { category: 'equipment', homeSide: 'SZ', maxDaysAbroad: 3 });
  t.equal((await crossAs(officerLMC, travA, 'HK_TO_SZ', [{ itemId: a1.id }, { itemId: a2.id }])).decision, 'CLEARED');
  t.equal((await crossAs(officerSZB, travB, 'SZ_TO_HK', [{ itemId: b1.id }])).decision, 'CLEARED');
  const a1ReturnBy = (await itemState(ctx.db, a1.id)).returnBy!;
  ctx.clock.advance(10 * DAY_MS);

  const report = (token: string, query = '') => ctx.request({ method: 'GET', url: `/v1/reports/overdue-returns${query}`, token });
  const sup = await report(supervisor.token);
  t.equal(sup.statusCode, 200, sup.body);
  const rows = sup.json().items as { itemId: string; institutionId: string; daysOverdue: number; returnBy: string; custodians: { id: string }[] }[];
  const ours = rows.filter((r) => [a1.id, a2.id, b1.id].includes(r.itemId));
  t.same(ours.map((r) => r.itemId), [b1.id, a1.id], 'both overdue, most overdue first; a2 is not due yet');
  t.match(ours[1], {
    itemId: a1.id,
    institutionId: instA.id,
    homeSide: 'HK',
    currentSide: 'SZ',
    returnBy: a1ReturnBy,
    daysOverdue: 5,
    custodians: [{ id: travA.researcher.id }],
  });
  t.equal(ours[0]?.daysOverdue, 7);

  const mine = await report(adminA.token);
  t.equal(mine.statusCode, 200, mine.body);
  const mineRows = mine.json().items as { itemId: string; institutionId: string }[];
  t.ok(mineRows.some((r) => r.itemId === a1.id));
  t.ok(mineRows.every((r) => r.institutionId === instA.id), 'admin A sees only A’s equipment');
  const peek = await report(adminA.token, `?institutionId=${instB.id}`);
  t.ok(peek.statusCode === 200 || peek.statusCode === 403 || peek.statusCode === 404, peek.body);
  if (peek.statusCode === 200) {
    t.ok((peek.json().items as { institutionId: string }[]).every((r) => r.institutionId === instA.id), 'asking for B does not show B');
  }
  const onlyB = await report(supervisor.token, `?institutionId=${instB.id}`);
  t.same((onlyB.json().items as { itemId: string }[]).map((r) => r.itemId), [b1.id]);

  for (const caller of [officerLMC, researcherA, auditor]) {
    t.equal((await report(caller.token)).statusCode, 403, caller.role);
  }
  // Brought home, it leaves the report.
  t.equal((await crossAs(officerLMC, travA, 'SZ_TO_HK', [{ itemId: a1.id }])).decision, 'CLEARED', 'returning it is not held against them');
  const later = await report(supervisor.token);
  t.notOk((later.json().items as { itemId: string }[]).some((r) => r.itemId === a1.id));
  t.ok((later.json().items as { itemId: string }[]).some((r) => r.itemId === b1.id));
});

t.test('reports/checkpoint-stats: supervisor only; counts per checkpoint × direction and by reason', async (t) => {
  ctx.clock.set('2032-05-01T00:00:00Z');
  const from = ctx.clock.now.toISOString();
  const suspended = await insertTraveller(ctx.db, { institutionId: instA.id, status: 'suspended' });
  const colleagueKit = await insertItem(ctx.db, instB.id, [travB.researcher.id], { category: 'equipment', homeSide: 'HK' });
  const fresh = await insertTraveller(ctx.db, { institutionId: instA.id });
  const fresh2 = await insertTraveller(ctx.db, { institutionId: instB.id });

  // LMC HK_TO_SZ: 2 cleared, 1 flagged (TRAVELLER_SUSPENDED)
  t.equal((await crossAs(officerLMC, fresh, 'HK_TO_SZ')).decision, 'CLEARED');
  t.equal((await crossAs(officerLMC, fresh2, 'HK_TO_SZ')).decision, 'CLEARED');
  t.equal((await crossAs(officerLMC, suspended, 'HK_TO_SZ')).decision, 'FLAGGED');
  // LMC SZ_TO_HK: 1 flagged: a colleague's laptop, already in HK
  const f = await crossAs(officerLMC, fresh, 'SZ_TO_HK', [{ itemId: colleagueKit.id }]);
  t.same(f.reasons.map((r) => r.code).sort(), ['ITEM_LOCATION_MISMATCH', 'ITEM_NOT_IN_CUSTODY']);
  // SZB HK_TO_SZ: 1 flagged (TRAVELLER_NOT_WHITELISTED)
  t.equal((await crossAs(officerSZB, { passport: 'NOBODY999' }, 'HK_TO_SZ')).decision, 'FLAGGED');
  step();
  const to = ctx.clock.now.toISOString();
  // Outside the window: after `to`.
  step();
  await crossAs(officerSZB, fresh2, 'HK_TO_SZ');

  const res = await ctx.request({
    method: 'GET',
    url: `/v1/reports/checkpoint-stats?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    token: supervisor.token,
  });
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().from, from);
  t.equal(res.json().to, to);
  const rows = res.json().rows as { checkpoint: string; direction: string }[];
  const sorted = [...rows].sort((a, b) => `${a.checkpoint}${a.direction}`.localeCompare(`${b.checkpoint}${b.direction}`));
  t.same(sorted, [
    { checkpoint: 'LMC', direction: 'HK_TO_SZ', crossings: 3, cleared: 2, flagged: 1, byReason: { TRAVELLER_SUSPENDED: 1 } },
    {
      checkpoint: 'LMC',
      direction: 'SZ_TO_HK',
      crossings: 1,
      cleared: 0,
      flagged: 1,
      byReason: { ITEM_LOCATION_MISMATCH: 1, ITEM_NOT_IN_CUSTODY: 1 },
    },
    { checkpoint: 'SZB', direction: 'HK_TO_SZ', crossings: 1, cleared: 0, flagged: 1, byReason: { TRAVELLER_NOT_WHITELISTED: 1 } },
  ]);

  const bad = await ctx.request({ method: 'GET', url: `/v1/reports/checkpoint-stats?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`, token: supervisor.token });
  t.equal(bad.statusCode, 422, bad.body);
  for (const caller of [officerLMC, adminA, researcherA, auditor]) {
    const r = await ctx.request({ method: 'GET', url: '/v1/reports/checkpoint-stats', token: caller.token });
    t.equal(r.statusCode, 403, caller.role);
  }
});

t.test('reports/checkpoint-stats: byReason counts flagged crossings, not reason lines', async (t) => {
  // "crossings and flags per checkpoint, direction and reason": one crossing flagged
  // because two of its items may not be carried by the traveller is one flag for
  // ITEM_NOT_IN_CUSTODY, so that byReason never exceeds flagged.
  ctx.clock.set('2033-07-01T00:00:00Z');
  const from = ctx.clock.now.toISOString();
  const other = await insertTraveller(ctx.db, { institutionId: instB.id });
  const k1 = await insertItem(ctx.db, instB.id, [other.researcher.id], { category: 'equipment', homeSide: 'HK' });
  const k2 = await insertItem(ctx.db, instB.id, [other.researcher.id], { category: 'equipment', homeSide: 'HK' });
  const carrier = await insertTraveller(ctx.db, { institutionId: instA.id });
  const c = await crossAs(officerLMC, carrier, 'HK_TO_SZ', [{ itemId: k1.id }, { itemId: k2.id }]);
  t.same(c.reasons.map((r) => [r.code, r.itemId]), [
    ['ITEM_NOT_IN_CUSTODY', k1.id],
    ['ITEM_NOT_IN_CUSTODY', k2.id],
  ]);
  step();
  const res = await ctx.request({
    method: 'GET',
    url: `/v1/reports/checkpoint-stats?from=${encodeURIComponent(from)}&to=${encodeURIComponent(ctx.clock.now.toISOString())}`,
    token: supervisor.token,
  });
  t.equal(res.statusCode, 200, res.body);
  t.same(res.json().rows, [
    { checkpoint: 'LMC', direction: 'HK_TO_SZ', crossings: 1, cleared: 0, flagged: 1, byReason: { ITEM_NOT_IN_CUSTODY: 1 } },
  ]);
});
