// Scale-out: two API instances on one Postgres. Instance A is the test app,
// instance B a second `buildApp` with its own pool (`openDatabase`) and its own
// config on the same database, sharing only what a deployment shares (the JWT
// secret, issuer and audience). Both listen on real ports and are called over
// HTTP. A change made through one is seen by the other: a suspension through A
// answers the very next lookup through B (lookups and crossings read the primary),
// an account disabled through A is refused by B within the 2 s status cache, an
// Idempotency-Key replayed on the other instance answers the first response
// without a second write, and the audit chain both append to verifies.
// Needs a real Postgres server (PGlite is one connection inside one process).
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { openDatabase, queryRows } from '../../src/db/client.js';
import { createUser } from '../../src/modules/users/queries.js';
import { buildTestApp, TEST_PASSWORD, testConfig } from '../support/app.js';
import { testDatabaseSource } from '../support/database.js';
import { insertInstitution } from '../support/records.js';
import { sleep } from '../support/http-calls.js';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

interface Verification {
  ok: boolean;
  count: number;
  headHash: string;
  firstBadSeq: number | null;
}

interface Card {
  researcher: { id: string; status: string };
  whitelist: { status: string; inGoodStanding: boolean };
  alerts: { code: string }[];
}

interface Crossing {
  id: string;
  decision: 'CLEARED' | 'FLAGGED';
  reasons: { code: string }[];
  traveller: { researcherId: string } | null;
}

/** Real HTTP: fetch against a listening instance. */
async function call(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}


// Decided before any database is built: on PGlite the file skips at once, saying why.
if ((await testDatabaseSource()) === 'pglite') {
  t.plan(0, 'two-instance tests open a second pool on the same database: PGlite is one connection inside one process, so set TEST_DATABASE_URL');
} else {
  const ctx = await buildTestApp(t);
  // Instance B: its own pool, its own config object (same JWT secret, issuer and audience), its own app.
  const databaseB = await openDatabase({ url: ctx.testDb.url, poolMax: 5, connectTimeoutMs: 5000, applicationName: 'hetao-clearance-b' });
  const configB = testConfig();
  const appB = await buildApp({ config: configB, database: databaseB }, { logger: false });
  // Teardowns run last-in first-out: B closes before A closes and the database is dropped.
  t.teardown(async () => {
    await appB.close();
    await databaseB.close();
  });
  const A = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const B = await appB.listen({ host: '127.0.0.1', port: 0 });
  t.comment(`instance A on ${A}, instance B on ${B}, one database`);

  const pid = process.pid;
  const institution = await insertInstitution(ctx.db, { side: 'HK' });
  const made = async (role: 'supervisor' | 'institution_admin' | 'officer' | 'auditor', extra: Record<string, string> = {}) => {
    const username = `two-${role.replace(/_/g, '-')}-${pid}-${randomBytes(3).toString('hex')}`;
    const user = await createUser(ctx.db, { username, password: TEST_PASSWORD, role, ...extra });
    return { username, id: user.id };
  };
  const login = async (base: string, username: string) => {
    const res = await call(base, 'POST', '/v1/auth/token', { body: { grant_type: 'password', username, password: TEST_PASSWORD } });
    if (res.status !== 200) throw new Error(`login of ${username} at ${base} failed: ${res.status} ${res.text}`);
    return res.json<{ access_token: string }>().access_token;
  };

  const supUser = await made('supervisor');
  const adminUser = await made('institution_admin', { institutionId: institution.id });
  const officerUser = await made('officer', { checkpoint: 'LMC' });
  const leaverUser = await made('officer', { checkpoint: 'LMC' });
  const auditorUser = await made('auditor');
  // Tokens from either instance: the supervisor and the admin sign in through A, the officers and the auditor through B.
  const sup = await login(A, supUser.username);
  const admin = await login(A, adminUser.username);
  const officer = await login(B, officerUser.username);
  const leaver = await login(B, leaverUser.username);
  const auditor = await login(B, auditorUser.username);

  const passport = `P${String(pid % 100_000).padStart(5, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
  const researcherBody = {
    fullName: 'Lam Ka Wai',
    dateOfBirth: '1988-06-01',
    nationality: 'CHN',
    email: `${passport.toLowerCase()}@example.edu.hk`,
    documents: [{ kind: 'passport', number: passport, issuingCountry: 'CHN', expiresOn: '2040-01-31' }],
  };
  const lookupBody = { document: { kind: 'passport', number: passport } };
  const crossingBody = {
    checkpoint: 'LMC',
    direction: 'HK_TO_SZ',
    traveller: { document: { kind: 'passport', number: passport } },
    items: [],
  };
  const crossingKey = `two-instances-crossing-${pid}-${randomBytes(4).toString('hex')}`;
  let researcherId = '';
  let crossing: Answer | undefined;

  const verify = async (base: string, token: string) => {
    const res = await call(base, 'GET', '/v1/audit-events/verify', { token });
    if (res.status !== 200) throw new Error(`verify at ${base}: ${res.status} ${res.text}`);
    return res.json<Verification>();
  };
  const crossingsOf = async (id: string) =>
    (await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from crossings where researcher_id = ${id}::uuid`))[0]!.n;

  await t.test('a token issued by one instance is accepted by the other (shared JWT secret, issuer, audience)', async (t) => {
    t.not(databaseB.pool, ctx.testDb.database.pool, 'B has a pool of its own');
    const supOnB = await call(B, 'GET', '/v1/me', { token: sup });
    t.equal(supOnB.status, 200, "the supervisor's token from A works on B", { body: supOnB.text });
    t.equal(supOnB.json<{ sub: string }>().sub, supUser.id);
    const officerOnA = await call(A, 'GET', '/v1/me', { token: officer });
    t.equal(officerOnA.status, 200, "the officer's token from B works on A", { body: officerOnA.text });
    t.equal(officerOnA.json<{ sub: string }>().sub, officerUser.id);
  });

  await t.test('nominated and approved through A, looked up through B: 200 with the card', async (t) => {
    const key = `two-instances-nominate-${pid}-${randomBytes(4).toString('hex')}`;
    const nominated = await call(A, 'POST', `/v1/institutions/${institution.id}/researchers`, {
      token: admin,
      body: researcherBody,
      headers: { 'idempotency-key': key },
    });
    t.equal(nominated.status, 201, 'nominated through A', { body: nominated.text });
    researcherId = nominated.json<{ id: string }>().id;

    // The admin's retry lands on B: the same answer, from the key stored in Postgres, and no second researcher.
    const retried = await call(B, 'POST', `/v1/institutions/${institution.id}/researchers`, {
      token: admin,
      body: researcherBody,
      headers: { 'idempotency-key': key },
    });
    t.equal(retried.status, 201, 'the retry through B answers 201', { body: retried.text });
    t.equal(retried.headers.get('idempotent-replayed'), 'true', 'B replays the answer A gave');
    t.same(retried.json(), nominated.json(), 'the same body');
    t.equal(retried.headers.get('location'), nominated.headers.get('location'));
    const rows = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from researchers where institution_id = ${institution.id}::uuid`);
    t.equal(rows[0]!.n, 1, 'one researcher written, not two');

    const approved = await call(A, 'POST', `/v1/researchers/${researcherId}/approve`, { token: sup, body: { validUntil: '2099-12-31' } });
    t.equal(approved.status, 200, 'approved through A', { body: approved.text });
    t.equal(approved.json<{ status: string }>().status, 'approved');

    const looked = await call(B, 'POST', '/v1/clearance/lookup', { token: officer, body: lookupBody });
    t.equal(looked.status, 200, 'looked up through B', { body: looked.text });
    const card = looked.json<Card>();
    t.equal(card.researcher.id, researcherId);
    t.equal(card.researcher.status, 'approved');
    t.same(card.whitelist, { ...card.whitelist, status: 'approved', inGoodStanding: true });
    t.same(card.alerts, [], 'nothing would flag this traveller');
  });

  await t.test('suspended through A: the very next lookup through B shows it, and a crossing through B is FLAGGED', async (t) => {
    const suspended = await call(A, 'POST', `/v1/researchers/${researcherId}/suspend`, {
      token: sup,
      body: { reason: 'left the institution' },
    });
    t.equal(suspended.status, 200, 'suspended through A', { body: suspended.text });
    t.equal(suspended.json<{ status: string }>().status, 'suspended');

    // No wait, no retry: B reads the primary, so the suspension is there on the next request.
    const looked = await call(B, 'POST', '/v1/clearance/lookup', { token: officer, body: lookupBody });
    t.equal(looked.status, 200, 'looked up through B', { body: looked.text });
    const card = looked.json<Card>();
    t.equal(card.researcher.status, 'suspended');
    t.equal(card.whitelist.status, 'suspended');
    t.equal(card.whitelist.inGoodStanding, false);
    t.same(card.alerts.map((r) => r.code), ['TRAVELLER_SUSPENDED']);

    crossing = await call(B, 'POST', '/v1/crossings', {
      token: officer,
      body: crossingBody,
      headers: { 'idempotency-key': crossingKey },
    });
    t.equal(crossing.status, 201, 'crossing declared through B', { body: crossing.text });
    const c = crossing.json<Crossing>();
    t.equal(c.decision, 'FLAGGED');
    t.same(c.reasons.map((r) => r.code), ['TRAVELLER_SUSPENDED']);
    t.equal(c.traveller?.researcherId, researcherId);
    t.equal(await crossingsOf(researcherId), 1);
  });

  await t.test('the crossing replayed through A with its Idempotency-Key: the same answer, no second write', async (t) => {
    if (!crossing) return t.fail('no crossing to replay');
    const before = await verify(A, sup);
    const replay = await call(A, 'POST', '/v1/crossings', {
      token: officer,
      body: crossingBody,
      headers: { 'idempotency-key': crossingKey },
    });
    t.equal(replay.status, 201, 'replayed through A', { body: replay.text });
    t.equal(replay.headers.get('idempotent-replayed'), 'true');
    t.same(replay.json(), crossing.json(), 'the answer B gave, from Postgres');
    t.equal(replay.headers.get('location'), crossing.headers.get('location'));
    t.equal(await crossingsOf(researcherId), 1, 'still one crossing');
    const after = await verify(A, sup);
    t.equal(after.count, before.count, 'no audit event for a replay');
    t.equal(after.headHash, before.headHash);

    // The same key with another body is refused on A too: the fingerprint key is derived from the shared secret.
    const reused = await call(A, 'POST', '/v1/crossings', {
      token: officer,
      body: { ...crossingBody, direction: 'SZ_TO_HK' },
      headers: { 'idempotency-key': crossingKey },
    });
    t.equal(reused.status, 409, 'another body with the same key: 409', { body: reused.text });
    t.equal(reused.json<{ code: string }>().code, 'IDEMPOTENCY_KEY_REUSED');
    t.equal(await crossingsOf(researcherId), 1);
  });

  await t.test('an account disabled through A is refused by B within the status cache interval', async (t) => {
    const warm = await call(B, 'GET', '/v1/me', { token: leaver });
    t.equal(warm.status, 200, 'B has just seen the account active (and caches that)');
    const disabled = await call(A, 'POST', `/v1/users/${leaverUser.id}/disable`, { token: sup });
    t.equal(disabled.status, 200, 'disabled through A', { body: disabled.text });
    t.equal(disabled.json<{ status: string }>().status, 'disabled');
    const onA = await call(A, 'GET', '/v1/me', { token: leaver });
    t.equal(onA.status, 401, 'A, which disabled it, refuses at once');

    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 3500) {
      status = (await call(B, 'GET', '/v1/me', { token: leaver })).status;
      if (status === 401) break;
      await sleep(100);
    }
    t.equal(status, 401, 'B refuses the token of the disabled account');
    t.comment(`B refused it ${Date.now() - started} ms after the disable (status cache: 2 s)`);
    const other = await call(B, 'GET', '/v1/me', { token: officer });
    t.equal(other.status, 200, 'other accounts are unaffected');
  });

  await t.test('both instances append to one audit chain, which verifies through either', async (t) => {
    const before = await verify(B, auditor);
    t.equal(before.ok, true);
    // Appends from both instances at the same moment: the advisory lock serialises them across pools.
    const lookups = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(i % 2 === 0 ? A : B, 'POST', '/v1/clearance/lookup', { token: officer, body: lookupBody })),
    );
    t.same(lookups.map((l) => l.status), Array(20).fill(200));
    const viaA = await verify(A, sup);
    const viaB = await verify(B, auditor);
    t.same({ ok: viaA.ok, count: viaA.count, firstBadSeq: viaA.firstBadSeq }, { ok: true, count: before.count + 20, firstBadSeq: null });
    t.same(viaB, viaA, 'either instance gives the same verification');

    // The chain holds the events of both instances, in one unbroken sequence.
    const events: { seq: number; action: string; subject: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer = await call(B, 'GET', `/v1/audit-events?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { token: auditor });
      t.equal(page.status, 200, 'audit page through B', { body: page.text });
      const body = page.json<{ items: typeof events; nextCursor: string | null }>();
      events.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    t.equal(events.length, viaA.count);
    t.same(events.map((e) => e.seq), Array.from({ length: events.length }, (_, i) => i + 1), 'no gap, no fork');
    const actions = new Set(events.map((e) => e.action));
    for (const action of ['researcher.nominate', 'researcher.approve', 'researcher.suspend', 'user.disable']) {
      t.ok(actions.has(action), `written through A: ${action}`);
    }
    for (const action of ['clearance.lookup', 'crossing.decide']) t.ok(actions.has(action), `written through B: ${action}`);
    t.equal(events.filter((e) => e.action === 'clearance.lookup' && e.subject === `researcher:${researcherId}`).length, 22, 'every lookup, from both');
  });

  await t.test('the two instances hold connections of their own', async (t) => {
    const names = await queryRows<{ application_name: string }>(
      ctx.db,
      sql`select distinct application_name from pg_stat_activity where datname = current_database()`,
    );
    const set = new Set(names.map((r) => r.application_name));
    t.ok(set.has('hetao-clearance'), 'A');
    t.ok(set.has('hetao-clearance-b'), 'B');
  });
}
