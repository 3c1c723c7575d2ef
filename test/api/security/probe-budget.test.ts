// Issue 17, finding 2: one budget per officer. Lookups and crossings (by document or MRZ) count against the
// same per-officer limit (LOOKUP_RATE_LIMIT_PER_MINUTE); over it, a 429 problem with Retry-After that carries
// no traveller, and nothing written. Another officer keeps their own budget.
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { queryRows } from '../../../src/db/client.js';
import { buildTd3 } from '../../../src/domain/documents/mrz.js';
import { buildTestApp } from '../../support/app.js';
import { insertTraveller } from '../../support/travellers.js';
import { passportRef, postCrossing, postLookup } from '../../support/desk.js';
import { assertProblem } from '../../support/http-checks.js';
import { sleep } from '../../support/http-calls.js';

const LIMIT = 5;
const ctx = await buildTestApp(t, { env: { LOOKUP_RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
const trav = await insertTraveller(ctx.db, { dateOfBirth: '1985-04-12', nationality: 'CHN', passportExpires: '2033-08-31' });
const mrz = buildTd3({
  issuingState: trav.country,
  surname: 'CHAN',
  givenNames: 'TAI MAN',
  documentNumber: trav.passport,
  nationality: 'CHN',
  dateOfBirth: '1985-04-12',
  sex: 'M',
  expiresOn: '2033-08-31',
});

/** The limiter counts in minute windows: start a burst well inside one, so that it cannot straddle two. */
async function clearOfMinuteEdge(burstMs = 15_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < burstMs) await sleep(left + 50);
}

function assertThrottled(t: Test, res: LightMyRequestResponse, what: string): void {
  assertProblem(t, res, 429, 'RATE_LIMITED');
  const retry = Number(res.headers['retry-after']);
  t.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `${what}: Retry-After ${res.headers['retry-after']} in 1..60`);
  t.notOk(res.body.includes(trav.passport), `${what}: no document number in the answer`);
  t.notOk(res.body.includes(trav.researcher.id), `${what}: no traveller in the answer`);
}

const crossing = (token: string, traveller: Parameters<typeof postLookup>[2] = passportRef(trav.passport)) =>
  postCrossing(ctx, token, { checkpoint: 'LMC', direction: 'HK_TO_SZ', traveller });

const crossingCount = async () => Number((await queryRows<{ n: string }>(ctx.db, sql`select count(*) as n from crossings`))[0]!.n);

t.test('lookups spend the budget, then a crossing is refused', async (t) => {
  const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
  const colleague = await ctx.caller('officer', { checkpoint: 'LMC' });
  await clearOfMinuteEdge();
  for (let i = 0; i < LIMIT; i++) {
    const res = await postLookup(ctx, officer.token, passportRef(trav.passport));
    t.equal(res.statusCode, 200, `lookup ${i + 1} of ${LIMIT} answered`);
  }
  const before = await crossingCount();
  assertThrottled(t, await crossing(officer.token), 'a crossing by document after the budget');
  assertThrottled(t, await crossing(officer.token, { mrz }), 'a crossing by MRZ after the budget');
  t.equal(await crossingCount(), before, 'no crossing was written');
  assertThrottled(t, await postLookup(ctx, officer.token, passportRef(trav.passport)), 'a lookup after the budget');

  const other = await crossing(colleague.token);
  t.equal(other.statusCode, 201, `another officer still crosses travellers: ${other.body}`);
  t.equal((await postLookup(ctx, colleague.token, passportRef(trav.passport))).statusCode, 200, 'and looks them up');
});

t.test('crossings alone spend the budget, then a lookup is refused', async (t) => {
  const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
  const colleague = await ctx.caller('officer', { checkpoint: 'LMC' });
  await clearOfMinuteEdge();
  for (let i = 0; i < LIMIT; i++) {
    const res = await crossing(officer.token, i % 2 ? { mrz } : passportRef(trav.passport));
    t.equal(res.statusCode, 201, `crossing ${i + 1} of ${LIMIT} recorded`);
  }
  assertThrottled(t, await crossing(officer.token), `crossing ${LIMIT + 1}`);
  assertThrottled(t, await postLookup(ctx, officer.token, passportRef(trav.passport)), 'a lookup after crossings spent the budget');
  assertThrottled(t, await postLookup(ctx, officer.token, { mrz }), 'a lookup by MRZ too');
  t.equal((await postLookup(ctx, colleague.token, passportRef(trav.passport))).statusCode, 200, 'another officer is unaffected');
});

t.test('a mixed run counts each request once against the one budget', async (t) => {
  const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
  await clearOfMinuteEdge();
  const statuses: number[] = [];
  for (let i = 0; i < LIMIT + 2; i++) {
    const res = i % 2 ? await crossing(officer.token) : await postLookup(ctx, officer.token, passportRef(trav.passport));
    statuses.push(res.statusCode);
  }
  t.same(statuses, [200, 201, 200, 201, 200, 429, 429], 'five answered in all, then refused');
});
