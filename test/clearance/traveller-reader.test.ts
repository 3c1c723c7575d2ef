// The lookups' reads, batched when they pile up (TravellerReader): every lookup gets
// exactly the cards its own statement would have given it — whatever its shape, whatever
// else was in its batch — and a change shows on the next read. Runs on Postgres and PGlite.
import { sql } from 'drizzle-orm';
import t from 'tap';
import { queryRows } from '../../src/db/client.js';
import { type DocumentQuery, findTravellers, type TravellerCard } from '../../src/modules/clearance/queries.js';
import { TravellerReader } from '../../src/modules/clearance/reader.js';
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
  const answers = await Promise.all(asked.map((q) => reader.find(q)));
  for (const [i, answer] of answers.entries()) {
    t.same(sorted(answer), sorted(alone[i % queries.length]!), `lookup ${i} (${JSON.stringify(asked[i])}): the same cards as alone`);
  }
  t.equal(reader.stats.lookups, asked.length, 'every lookup read');
  t.ok(reader.stats.statements < asked.length, `fewer statements (${reader.stats.statements}) than lookups (${asked.length})`);
  t.ok(reader.stats.batched >= asked.length - 1 - 4, `all but the first went in batches (${reader.stats.batched})`);
});

t.test('no waiting while reads are few: each lookup is read at once, in its own statement', async (t) => {
  const reader = new TravellerReader(ctx.db, 4);
  const answers = await Promise.all(queries.slice(0, 4).map((q) => reader.find(q)));
  t.same(ids(answers[0]!), [alice.researcher.id]);
  t.same(reader.stats, { statements: 4, lookups: 4, batched: 0 });
});

t.test('a change is seen by the next batched read (a suspension takes effect on the very next lookup)', async (t) => {
  const reader = new TravellerReader(ctx.db, 1);
  await queryRows(ctx.db, sql`update researchers set status = 'suspended' where id = ${carrier.researcher.id}::uuid`);
  const answers = await Promise.all([byDocument(alice.passport), byDocument(carrier.passport), byDocument(carrier.passport)].map((q) => reader.find(q)));
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
