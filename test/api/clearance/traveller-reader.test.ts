// Reads batched when they pile up: the lookups' (TravellerReader) and the optimistic
// crossings' (CrossingReader). Every read gets exactly what its own statement would have
// given it — whatever its shape, whatever else was in its batch — and a change shows on
// the next read. Runs on Postgres and PGlite.
import { sql } from 'drizzle-orm';
import t from 'tap';
import { queryRows } from '../../../src/db/client.js';
import type { KeyRecord } from '../../../src/db/idempotency-store.js';
import { type CrossingReads, findTravellersAndItems } from '../../../src/modules/clearance/crossing-queries.js';
import {
  type DocumentQuery,
  findTravellers,
  type LookupAudit,
  lookupTravellers,
  lookupTravellersBatch,
  type TravellerCard,
} from '../../../src/modules/clearance/queries.js';
import { CrossingReader, type CrossingRead, TravellerReader } from '../../../src/modules/clearance/reader.js';
import { freshKey, postCrossing } from '../../support/desk.js';
import { buildTestApp } from '../../support/app.js';
import { insertItem, insertTraveller } from '../../support/travellers.js';

const ctx = await buildTestApp(t);

const alice = await insertTraveller(ctx.db, { passportCountry: 'CHN' });
// The same passport number issued by two countries: a lookup without the country finds both.
const twinCn = await insertTraveller(ctx.db, { passportCountry: 'CHN' });
const twinHk = await insertTraveller(ctx.db, { passport: twinCn.passport, passportCountry: 'HKG' });
const carrier = await insertTraveller(ctx.db, { passportCountry: 'HKG' });
const laptop = await insertItem(ctx.db, carrier.institutionId, [carrier.researcher.id], { category: 'equipment', homeSide: 'HK' });

const byDocument = (number: string): DocumentQuery => ({ by: 'document', kind: 'passport', number });
const queries: DocumentQuery[] = [
  byDocument(alice.passport),
  byDocument(twinCn.passport),
  byDocument('PNOBODY1'),
  { by: 'document', kind: 'passport', number: twinCn.passport, issuingCountry: 'HKG' },
  { by: 'document', kind: 'passport', number: alice.passport, issuingCountry: 'HKG' },
  { by: 'mrz', number: alice.passport, issuingState: 'CHN', passportOnly: true },
  { by: 'mrz', number: twinCn.passport, issuingState: 'HKG', passportOnly: false },
  byDocument(carrier.passport),
  { by: 'mrz', number: carrier.passport, issuingState: 'HKG', passportOnly: true },
];

/** Each read's audit event, told apart by its actor. */
const auditOf = (actor: string): LookupAudit => ({ at: new Date('2026-12-07T10:00:00.123Z'), actor, role: 'officer', data: { checkpoint: 'LMC', actor } });
/** The events of an actor, wherever they are now: in the journal, or sealed into the chain. */
async function eventsOf(actor: string) {
  return queryRows<{ action: string; subject: string | null; at: Date | string; data: unknown }>(
    ctx.db,
    sql`select action, subject, at, data from audit_journal where actor = ${actor}
        union all select action, subject, at, data from audit_events where actor = ${actor}`,
  );
}
/** What a lookup that found `cards` must have recorded: its traveller, no match, or nothing (several: refused). */
function expectedEvents(cards: TravellerCard[]) {
  if (cards.length > 1) return [];
  return [cards.length === 1 ? { action: 'clearance.lookup', subject: `researcher:${cards[0]!.researcher.id}` } : { action: 'clearance.lookup_no_match', subject: null }];
}

const ids = (cards: TravellerCard[]) => cards.map((c) => c.researcher.id).sort();
const sorted = (cards: TravellerCard[]) => [...cards].sort((a, b) => a.researcher.id.localeCompare(b.researcher.id));

t.test('lookups that pile up go together, and each gets what its own statement gives', async (t) => {
  const alone = await Promise.all(queries.map((q) => findTravellers(ctx.db, q)));
  t.same(ids(alone[0]!), [alice.researcher.id], 'fixture: alice by her passport');
  t.same(ids(alone[1]!), [twinCn.researcher.id, twinHk.researcher.id].sort(), 'fixture: the twin number finds both holders');
  t.same(alone[2], [], 'fixture: nobody holds PNOBODY1');
  t.same(ids(alone[3]!), [twinHk.researcher.id], 'fixture: the twin number with its country finds one');
  t.same(alone[4], [], 'fixture: alice’s number is not a Hong Kong passport');
  t.equal(alone[7]![0]!.custody[0]!.id, laptop.id, 'fixture: the carrier has the laptop in custody');

  // One read at a time: everything asked while it runs waits, then goes in one statement per shape.
  const reader = new TravellerReader(ctx.db, 'off', 1);
  const rounds = 3;
  const asked = Array.from({ length: rounds }, () => queries).flat();
  const answers = await Promise.all(asked.map((q, i) => reader.read({ query: q, audit: auditOf(`batched-${i}`) })));
  for (const [i, answer] of answers.entries()) {
    t.same(sorted(answer), sorted(alone[i % queries.length]!), `lookup ${i} (${JSON.stringify(asked[i])}): the same cards as alone`);
    const events = await eventsOf(`batched-${i}`);
    t.same(
      events.map((e) => ({ action: e.action, subject: e.subject })),
      expectedEvents(alone[i % queries.length]!),
      `lookup ${i}: its own audit event, written by its statement`,
    );
    if (events[0]) {
      t.equal(new Date(events[0].at).toISOString(), '2026-12-07T10:00:00.123Z', `lookup ${i}: the event's time`);
      t.same(typeof events[0].data === 'string' ? JSON.parse(events[0].data) : events[0].data, { checkpoint: 'LMC', actor: `batched-${i}` }, `lookup ${i}: the event's data`);
    }
  }
  t.equal(reader.stats.reads, asked.length, 'every lookup read');
  t.ok(reader.stats.statements < asked.length, `fewer statements (${reader.stats.statements}) than lookups (${asked.length})`);
  t.ok(reader.stats.batched >= asked.length - 1 - 4, `all but the first went in batches (${reader.stats.batched})`);
});

t.test('no waiting while reads are few: each lookup is read at once, in its own statement', async (t) => {
  const reader = new TravellerReader(ctx.db, 'off', 4);
  const answers = await Promise.all(queries.slice(0, 4).map((q, i) => reader.read({ query: q, audit: auditOf(`alone-${i}`) })));
  t.same(ids(answers[0]!), [alice.researcher.id]);
  t.same(reader.stats, { statements: 4, reads: 4, batched: 0 });
  for (const [i, answer] of answers.entries()) {
    t.same(
      (await eventsOf(`alone-${i}`)).map((e) => ({ action: e.action, subject: e.subject })),
      expectedEvents(answer),
      `lookup ${i}: its own audit event, written by its statement`,
    );
  }
});

t.test('a change is seen by the next batched read (a suspension takes effect on the very next lookup)', async (t) => {
  const reader = new TravellerReader(ctx.db, 'off', 1);
  await queryRows(ctx.db, sql`update researchers set status = 'suspended' where id = ${carrier.researcher.id}::uuid`);
  const answers = await Promise.all(
    [byDocument(alice.passport), byDocument(carrier.passport), byDocument(carrier.passport)].map((q, i) => reader.read({ query: q, audit: auditOf(`suspended-${i}`) })),
  );
  t.equal(answers[1]![0]!.researcher.status, 'suspended');
  t.equal(answers[2]![0]!.researcher.status, 'suspended', 'in the batch too');
  t.ok(reader.stats.batched >= 2, 'the last two were read together');
  await queryRows(ctx.db, sql`update researchers set status = 'approved' where id = ${carrier.researcher.id}::uuid`);
});

t.test('a lookup statement commits with the synchronous_commit it is given, for its own transaction only', async (t) => {
  // Inside a transaction the statement's setting can be read back before the commit; after
  // the commit the connection is as it was (the pool's next statement waits for its flush).
  for (const wanted of ['off', 'on', 'local'] as const) {
    await ctx.db.transaction(async (tx) => {
      const [before] = await queryRows<{ s: string }>(tx, sql`select current_setting('synchronous_commit') as s`);
      t.equal(before?.s, 'on', 'fixture: the server waits for the flush by default');
      const cards = await lookupTravellers(tx, byDocument(alice.passport), auditOf(`commit-${wanted}`), wanted);
      t.same(ids(cards), [alice.researcher.id]);
      const [during] = await queryRows<{ s: string }>(tx, sql`select current_setting('synchronous_commit') as s`);
      t.equal(during?.s, wanted, `one lookup: its transaction commits with synchronous_commit = ${wanted}`);
    });
    await ctx.db.transaction(async (tx) => {
      await lookupTravellersBatch(tx, 'document', [['passport', alice.passport], ['passport', 'PNOBODY1']], [auditOf(`commit-batch-${wanted}`), auditOf(`commit-batch-${wanted}`)], wanted);
      const [during] = await queryRows<{ s: string }>(tx, sql`select current_setting('synchronous_commit') as s`);
      t.equal(during?.s, wanted, `a batch: its transaction commits with synchronous_commit = ${wanted}`);
    });
    t.equal((await eventsOf(`commit-${wanted}`)).length, 1, 'the lookup’s event is written');
    t.equal((await eventsOf(`commit-batch-${wanted}`)).length, 2, 'the batch’s events are written');
  }
  // As the reader runs them (each statement its own transaction), the setting ends with
  // the statement: every connection of the pool is left as the server has it.
  const reader = new TravellerReader(ctx.db, 'off', 4);
  await Promise.all(queries.map((q, i) => reader.read({ query: q, audit: auditOf(`commit-pool-${i}`) })));
  const settings = await Promise.all(
    Array.from({ length: 20 }, () => queryRows<{ s: string }>(ctx.db, sql`select current_setting('synchronous_commit') as s, pg_sleep(0.01)`)),
  );
  t.same([...new Set(settings.map(([r]) => r?.s))], ['on'], 'no connection keeps the lookups’ setting');
});

t.test('through the API: concurrent lookups each answer their own traveller', async (t) => {
  const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
  const travellers = [alice, carrier, twinHk];
  const asked = Array.from({ length: 30 }, (_, i) => travellers[i % travellers.length]!);
  const answers = await Promise.all(
    asked.map((trav) =>
      ctx.request({
        method: 'POST',
        url: '/v1/clearance/lookup',
        token: officer.token,
        payload: { document: { kind: 'passport', number: trav.passport, issuingCountry: trav.country } },
      }),
    ),
  );
  for (const [i, res] of answers.entries()) {
    t.equal(res.statusCode, 200, `lookup ${i}`);
    t.equal(res.json<{ researcher: { id: string } }>().researcher.id, asked[i]!.researcher.id, `lookup ${i}: its own traveller`);
  }
  // Right after the answers, the audit log has every one of them, in the chain (the journal is sealed before a read).
  const auditor = await ctx.caller('auditor');
  const log = await ctx.request({ method: 'GET', url: `/v1/audit-events?action=clearance.lookup&actor=${officer.userId}&limit=100`, token: auditor.token });
  t.equal(log.statusCode, 200);
  const subjects = log.json<{ items: { subject: string }[] }>().items.map((e) => e.subject);
  t.same(subjects.sort(), asked.map((a) => `researcher:${a.researcher.id}`).sort(), 'one audit event per lookup, each naming its traveller');
  const verify = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: auditor.token });
  t.match(verify.json(), { ok: true, firstBadSeq: null }, 'the chain verifies with them');
  t.same(await queryRows(ctx.db, sql`select id from audit_journal`), [], 'the journal is empty once sealed');
});

t.test('crossing reads that pile up go together, each with its key, traveller and items as alone', async (t) => {
  const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
  // A key already answered: a crossing of alice's through the API.
  const answeredKey = freshKey();
  const first = await postCrossing(ctx, officer.token, { checkpoint: 'LMC', direction: 'HK_TO_SZ', traveller: { document: { kind: 'passport', number: alice.passport } } }, answeredKey);
  t.equal(first.statusCode, 201, 'fixture: a crossing answered under a key');
  const [stored] = await queryRows<{ principal: string }>(ctx.db, sql`select principal from idempotency_keys where key = ${answeredKey}`);
  const keyOf = (key: string): KeyRecord => ({ principal: stored!.principal, key, route: 'POST /v1/crossings', requestHash: 'h' });
  const otherLaptop = await insertItem(ctx.db, carrier.institutionId, [carrier.researcher.id], { category: 'equipment', homeSide: 'HK' });
  const unknownItem = '01900000-0000-7000-8000-000000000000';

  const reads: CrossingRead[] = [
    { query: byDocument(carrier.passport), itemIds: [laptop.id], key: undefined },
    { query: byDocument(carrier.passport), itemIds: [otherLaptop.id, laptop.id, laptop.id], key: keyOf(freshKey()) },
    { query: byDocument(alice.passport), itemIds: [], key: keyOf(answeredKey) },
    { query: byDocument(twinCn.passport), itemIds: [unknownItem], key: undefined },
    { query: { by: 'mrz', number: carrier.passport, issuingState: 'HKG', passportOnly: true }, itemIds: [laptop.id, unknownItem], key: keyOf(freshKey()) },
    { query: { by: 'document', kind: 'passport', number: twinCn.passport, issuingCountry: 'HKG' }, itemIds: [otherLaptop.id], key: undefined },
    { query: byDocument('PNOBODY1'), itemIds: [laptop.id], key: keyOf(answeredKey) },
  ];
  const plain = (r: CrossingReads) => ({ stored: r.stored, cards: sorted(r.cards), items: [...r.items.entries()] });
  const alone = await Promise.all(reads.map((r) => findTravellersAndItems(ctx.db, r.query, r.itemIds, r.key, false)));
  t.ok(alone[2]!.stored && alone[2]!.stored.statusCode === 201, 'fixture: the answered key is read with its answer');
  t.equal(alone[6]!.stored?.statusCode, 201, 'fixture: … whoever the traveller');
  t.same([...alone[1]!.items.keys()], [laptop.id, otherLaptop.id].sort(), 'fixture: items once each, in id order');
  t.same([...alone[3]!.items.keys()], [], 'fixture: an unknown item is not read');

  const reader = new CrossingReader(ctx.db, 1);
  const asked = [...reads, ...reads, ...reads];
  const answers = await Promise.all(asked.map((r) => reader.read(r)));
  for (const [i, answer] of answers.entries()) {
    t.same(plain(answer), plain(alone[i % reads.length]!), `read ${i}: as alone`);
  }
  t.ok(reader.stats.statements < asked.length, `fewer statements (${reader.stats.statements}) than reads (${asked.length})`);
  t.ok(reader.stats.batched > 0, 'some went in batches');

  // And through the API: concurrent crossings of several travellers each clear their own laptop.
  const desks = await Promise.all(
    Array.from({ length: 12 }, async () => {
      const trav = await insertTraveller(ctx.db, { passportCountry: 'CHN' });
      const item = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', homeSide: 'HK' });
      return { trav, item };
    }),
  );
  const results = await Promise.all(
    desks.map(({ trav, item }) =>
      postCrossing(ctx, officer.token, { checkpoint: 'LMC', direction: 'HK_TO_SZ', traveller: { document: { kind: 'passport', number: trav.passport } }, items: [{ itemId: item.id }] }),
    ),
  );
  for (const [i, res] of results.entries()) {
    t.equal(res.statusCode, 201, `crossing ${i}`);
    const body = res.json<{ decision: string; researcherId: string; items: { itemId: string }[] }>();
    t.equal(body.decision, 'CLEARED', `crossing ${i}: CLEARED`);
    t.same(body.items.map((x) => x.itemId), [desks[i]!.item.id], `crossing ${i}: its own laptop`);
  }
});
