// Reads batched when they pile up: the lookups' (TravellerReader) and the optimistic
// crossings' (CrossingReader). Every read gets exactly what its own statement would have
// given it — whatever its shape, whatever else was in its batch — and a change shows on
// the next read. Runs on Postgres and PGlite.
import { sql } from 'drizzle-orm';
import t from 'tap';
import { queryRows } from '../../src/db/client.js';
import type { KeyRecord } from '../../src/http/idempotency.js';
import { type CrossingReads, type DocumentQuery, findTravellers, findTravellersAndItems, type TravellerCard } from '../../src/modules/clearance/queries.js';
import { CrossingReader, type CrossingRead, TravellerReader } from '../../src/modules/clearance/reader.js';
import { freshKey, postCrossing } from '../helpers/clearance-desk.js';
import { buildTestApp } from '../helpers/app.js';
import { insertItem, insertTraveller } from '../helpers/clearance-fixtures.js';

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
  const reader = new TravellerReader(ctx.db, 1);
  const rounds = 3;
  const asked = Array.from({ length: rounds }, () => queries).flat();
  const answers = await Promise.all(asked.map((q) => reader.read(q)));
  for (const [i, answer] of answers.entries()) {
    t.same(sorted(answer), sorted(alone[i % queries.length]!), `lookup ${i} (${JSON.stringify(asked[i])}): the same cards as alone`);
  }
  t.equal(reader.stats.reads, asked.length, 'every lookup read');
  t.ok(reader.stats.statements < asked.length, `fewer statements (${reader.stats.statements}) than lookups (${asked.length})`);
  t.ok(reader.stats.batched >= asked.length - 1 - 4, `all but the first went in batches (${reader.stats.batched})`);
});

t.test('no waiting while reads are few: each lookup is read at once, in its own statement', async (t) => {
  const reader = new TravellerReader(ctx.db, 4);
  const answers = await Promise.all(queries.slice(0, 4).map((q) => reader.read(q)));
  t.same(ids(answers[0]!), [alice.researcher.id]);
  t.same(reader.stats, { statements: 4, reads: 4, batched: 0 });
});

t.test('a change is seen by the next batched read (a suspension takes effect on the very next lookup)', async (t) => {
  const reader = new TravellerReader(ctx.db, 1);
  await queryRows(ctx.db, sql`update researchers set status = 'suspended' where id = ${carrier.researcher.id}::uuid`);
  const answers = await Promise.all([byDocument(alice.passport), byDocument(carrier.passport), byDocument(carrier.passport)].map((q) => reader.read(q)));
  t.equal(answers[1]![0]!.researcher.status, 'suspended');
  t.equal(answers[2]![0]!.researcher.status, 'suspended', 'in the batch too');
  t.ok(reader.stats.batched >= 2, 'the last two were read together');
  await queryRows(ctx.db, sql`update researchers set status = 'approved' where id = ${carrier.researcher.id}::uuid`);
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
