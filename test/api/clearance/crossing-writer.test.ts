// The optimistic crossing and its group commit (CrossingWriter): crossings decided
// without locks are written together in one statement, and only if what they were
// decided on still holds; anything else is written by nobody and decided again.
// Runs on Postgres and on PGlite (the writer batches on one connection too).
import { sql } from 'drizzle-orm';
import t from 'tap';
import { verifyChain } from '../../../src/audit/chain.js';
import { AuditSealer } from '../../../src/audit/sealer.js';
import type { Principal } from '../../../src/auth/principal.js';
import type { KeyRecord } from '../../../src/db/idempotency-store.js';
import { type CrossingInput, type PlannedCrossing, readAndPlanCrossing, tryRecordCrossing } from '../../../src/modules/clearance/service.js';
import { CrossingReader } from '../../../src/modules/clearance/reader.js';
import { CrossingWriter } from '../../../src/modules/clearance/writer.js';
import { buildTestApp } from '../../support/app.js';
import { insertItem, insertTraveller } from '../../support/travellers.js';
import { type CrossingAnswer, countRows, freshKey, itemState, passportRef, postCrossing } from '../../support/desk.js';

const ctx = await buildTestApp(t);
const officerCaller = await ctx.caller('officer', { checkpoint: 'LMC' });
const officer: Principal = { sub: officerCaller.userId, kind: 'user', role: 'officer', checkpoint: 'LMC' };
const deps = { now: () => ctx.clock.now, random: () => 1, randomInspectionRate: 0 };
// The reads as the route makes them: alone, or batched when they pile up.
const reader = new CrossingReader(ctx.db);

/** A traveller in good standing with one laptop at home in Hong Kong. */
async function travellerWithLaptop() {
  const trav = await insertTraveller(ctx.db);
  const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', homeSide: 'HK' });
  return { trav, laptop };
}

function outbound(passport: string, itemId: string): CrossingInput {
  return { checkpoint: 'LMC', direction: 'HK_TO_SZ', traveller: passportRef(passport), items: [{ itemId }] };
}

function keyRecord(): KeyRecord {
  return { principal: officer.sub, key: freshKey(), route: 'POST /v1/crossings', requestHash: 'test-hash' };
}

async function plan(input: CrossingInput, key: KeyRecord): Promise<PlannedCrossing> {
  const planned = await readAndPlanCrossing(reader, deps, officer, input, key);
  if (!planned || 'replay' in planned) throw new Error('expected a planned crossing');
  return planned;
}

const crossingsOf = (itemId: string) => countRows(ctx.db, sql`select count(*) as n from crossing_items where item_id = ${itemId}::uuid`);
const keysStored = (key: KeyRecord) =>
  countRows(ctx.db, sql`select count(*) as n from idempotency_keys where principal = ${key.principal} and key = ${key.key}`);
/** The crossing's audit events: in the journal (written with the crossing) or already sealed into the chain. */
const eventsOf = (crossingId: string) =>
  countRows(
    ctx.db,
    sql`select (select count(*) from audit_journal where subject = ${`crossing:${crossingId}`})
             + (select count(*) from audit_events where subject = ${`crossing:${crossingId}`}) as n`,
  );
const chainEventsOf = (crossingId: string) =>
  countRows(ctx.db, sql`select count(*) as n from audit_events where subject = ${`crossing:${crossingId}`} and action = 'crossing.decide'`);

t.test('crossings decided at the same time are written in one statement, each with its lines, moves, event and key', async (t) => {
  const writer = new CrossingWriter(ctx.db);
  const desks = await Promise.all(Array.from({ length: 12 }, () => travellerWithLaptop()));
  const keys = desks.map(() => keyRecord());
  const answers = await Promise.all(
    desks.map(({ trav, laptop }, i) => tryRecordCrossing(reader, writer, deps, officer, outbound(trav.passport, laptop.id), keys[i])),
  );
  t.ok(
    answers.every((a) => a && 'view' in a && a.view.decision === 'CLEARED'),
    'every crossing CLEARED and written',
  );
  t.equal(writer.stats.written, 12);
  t.equal(writer.stats.stale, 0);
  t.ok(writer.stats.batches < 12, `12 crossings in ${writer.stats.batches} statements (largest ${writer.stats.largest})`);
  for (const [i, { laptop }] of desks.entries()) {
    const a = answers[i] as { view: { id: string } };
    t.equal((await itemState(ctx.db, laptop.id)).currentSide, 'SZ');
    t.equal(await crossingsOf(laptop.id), 1);
    t.equal(await countRows(ctx.db, sql`select count(*) as n from item_movements where crossing_id = ${a.view.id}::uuid`), 1);
    t.equal(await eventsOf(a.view.id), 1, 'its audit event is committed with it');
    t.equal(await keysStored(keys[i]!), 1, 'its Idempotency-Key answer is stored');
  }
  // The sealer links the journal's events into the chain, each once.
  await new AuditSealer(ctx.db).sealAll();
  for (const a of answers) t.equal(await chainEventsOf((a as { view: { id: string } }).view.id), 1, 'its audit event is in the chain');
  t.equal(await countRows(ctx.db, sql`select count(*) as n from audit_journal`), 0, 'the journal is empty once sealed');
  t.match(await verifyChain(ctx.db), { ok: true });
  await writer.close();
});

t.test('an item that changed after the crossing was decided: nothing is written, and the desk decides again', async (t) => {
  const { trav, laptop } = await travellerWithLaptop();
  const key = keyRecord();
  const planned = await plan(outbound(trav.passport, laptop.id), key);
  t.equal(planned.view.decision, 'CLEARED', 'decided on the laptop at home');
  // Meanwhile another desk moves the laptop out (any change bumps the version).
  await ctx.db.execute(sql`update items set current_side = 'SZ', version = version + 1 where id = ${laptop.id}::uuid`);
  const writer = new CrossingWriter(ctx.db);
  t.equal(await writer.write(planned), false, 'not written');
  t.same(writer.stats, { batches: 1, written: 0, stale: 1, failed: 0, largest: 1 });
  t.equal(await crossingsOf(laptop.id), 0, 'no crossing line');
  t.equal(await countRows(ctx.db, sql`select count(*) as n from crossings where id = ${planned.crossingId}::uuid`), 0, 'no crossing');
  t.equal(await eventsOf(planned.crossingId), 0, 'no audit event');
  t.equal(await keysStored(key), 0, 'no stored answer: the key is still free');
  t.equal((await itemState(ctx.db, laptop.id)).version, laptop.version + 1, 'the item is as the other desk left it');

  // Through the API, the same declaration is now decided on where the laptop is.
  const res = await postCrossing(ctx, officerCaller.token, outbound(trav.passport, laptop.id) as never);
  t.equal(res.statusCode, 201, res.body);
  t.same(
    res.json<CrossingAnswer>().reasons.map((r) => r.code),
    ['ITEM_LOCATION_MISMATCH'],
  );
  await writer.close();
});

t.test('a key answered after the crossing was read: nothing is written, and the request replays that answer', async (t) => {
  const { trav, laptop } = await travellerWithLaptop();
  const key = keyRecord();
  const planned = await plan(outbound(trav.passport, laptop.id), key);
  await ctx.db.execute(sql`insert into idempotency_keys (principal, key, route, request_hash, status_code, response, headers)
    values (${key.principal}, ${key.key}, ${key.route}, ${key.requestHash}, 201, '{"first":true}'::jsonb, '{}'::jsonb)`);
  const writer = new CrossingWriter(ctx.db);
  t.equal(await writer.write(planned), false);
  t.equal(await crossingsOf(laptop.id), 0);
  t.equal((await itemState(ctx.db, laptop.id)).currentSide, 'HK', 'the laptop did not move');
  const again = await readAndPlanCrossing(reader, deps, officer, outbound(trav.passport, laptop.id), key);
  t.match(again, { replay: { statusCode: 201, response: { first: true } } }, 'read again, the stored answer');
  await writer.close();
});

t.test('two crossings of one item never share a batch: the second is checked against the first', async (t) => {
  const { trav, laptop } = await travellerWithLaptop();
  const first = await plan(outbound(trav.passport, laptop.id), keyRecord());
  const second = await plan(outbound(trav.passport, laptop.id), keyRecord());
  const writer = new CrossingWriter(ctx.db);
  const [a, b] = await Promise.all([writer.write(first), writer.write(second)]);
  t.same([a, b], [true, false], 'the first is written, the second went stale');
  t.equal(writer.stats.batches, 2, 'two statements');
  t.equal(await crossingsOf(laptop.id), 1);
  const state = await itemState(ctx.db, laptop.id);
  t.equal(state.currentSide, 'SZ');
  t.equal(state.version, laptop.version + 1, 'moved once');
  await writer.close();
});

t.test('a batch that fails writes nothing of any of its crossings; each is then declared on its own', async (t) => {
  const desks = await Promise.all(Array.from({ length: 3 }, () => travellerWithLaptop()));
  const planned = await Promise.all(desks.map(({ trav, laptop }) => plan(outbound(trav.passport, laptop.id), keyRecord())));
  // One crossing of the batch breaks a constraint (a checkpoint that does not exist).
  planned[1]!.record.checkpoint = 'NOWHERE';
  const writer = new CrossingWriter(ctx.db);
  const written = await Promise.all(planned.map((p) => writer.write(p)));
  t.same(written, [false, false, false], 'none written');
  t.equal(writer.stats.failed, 1);
  for (const { laptop } of desks) {
    t.equal(await crossingsOf(laptop.id), 0);
    t.equal((await itemState(ctx.db, laptop.id)).version, laptop.version, 'the item is untouched');
  }
  for (const p of planned) t.equal(await eventsOf(p.crossingId), 0);

  // Declared again through the API, the good ones are written.
  for (const i of [0, 2]) {
    const res = await postCrossing(ctx, officerCaller.token, outbound(desks[i]!.trav.passport, desks[i]!.laptop.id) as never);
    t.equal(res.statusCode, 201, res.body);
    t.equal(res.json<CrossingAnswer>().decision, 'CLEARED');
  }
  t.match(await verifyChain(ctx.db), { ok: true });
  await writer.close();
});

t.test('serial numbers are not taken by the optimistic path: they are resolved under locks', async (t) => {
  const { trav } = await travellerWithLaptop();
  const planned = await readAndPlanCrossing(reader, deps, officer, { ...outbound(trav.passport, 'x'), items: [{ serialNumber: 'sn-1' }] }, keyRecord());
  t.equal(planned, undefined);
});
