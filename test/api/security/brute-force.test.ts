// Brute force and abuse limits, each switched on by its own setting (the test
// helpers switch them off): POST /v1/auth/token per client address
// (AUTH_RATE_LIMIT_PER_MINUTE) and per username / client id
// (AUTH_FAILURES_PER_USERNAME failed attempts in 15 minutes), the per-officer
// lookup limit (LOOKUP_RATE_LIMIT_PER_MINUTE), and the global per-address ceiling
// (RATE_LIMIT_PER_MINUTE) that leaves the health probes alone, and the lookup's
// refusal to match anything but a whole document number. Every throttle is a
// 429 problem+json with Retry-After; every failure is audited, and a throttle once
// per address or name and window (so that a flood cannot flood the audit chain).
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import type { Role } from '../../../src/db/schema.js';
import { createUser, principalOfUser } from '../../../src/modules/users/queries.js';
import { buildTestApp, TEST_PASSWORD, type TestApp } from '../../support/app.js';
import { insertTraveller } from '../../support/travellers.js';
import { type AuditRow, auditAfter, auditHead } from '../../support/desk.js';
import { insertInstitution } from '../../support/records.js';
import { assertProblem } from '../../support/http-checks.js';
import { sleep } from '../../support/http-calls.js';

let n = 0;
/** An account made in the database and a token signed for it, so that no sign-in counts against a limit. */
async function account(ctx: TestApp, role: Role, scope: { institutionId?: string; checkpoint?: string } = {}) {
  const username = `bf-${role.replace(/_/g, '-')}-${process.pid}-${++n}`;
  const user = await createUser(ctx.db, { username, password: TEST_PASSWORD, role, ...scope });
  return { username, id: user.id, token: ctx.app.issueToken(principalOfUser(user)).token };
}

const tokenCall = (ctx: TestApp, payload: Record<string, string>, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}) =>
  ctx.app.inject({ method: 'POST', url: '/v1/auth/token', payload, remoteAddress, headers });

/** A 429 problem with a Retry-After of whole seconds within `maxSeconds`. */
function assertThrottled(t: Test, res: LightMyRequestResponse, maxSeconds: number, what: string): void {
  assertProblem(t, res, 429, 'RATE_LIMITED');
  const retry = String(res.headers['retry-after'] ?? '');
  t.match(retry, /^\d+$/, `${what}: Retry-After is a number of seconds (${retry})`);
  t.ok(Number(retry) >= 1 && Number(retry) <= maxSeconds, `${what}: Retry-After ${retry} is within 1..${maxSeconds}`);
}

const eventsOf = (rows: AuditRow[], action: string) => rows.filter((r) => r.action === action);

/**
 * The per-minute limits (RateLimiter) count in clock-aligned windows and weigh the previous
 * window by how much of it the last 60 s still cover: just after a minute starts, the five
 * requests of a second ago weigh 5 × 0.98, and a sixth is let through. That estimate is the
 * limiter's design (a counter per window, not a timestamp per request); a test that checks
 * "the N+1th request in the minute" therefore starts its burst well inside a minute.
 */
async function clearOfMinuteEdge(burstMs = 15_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < burstMs) await sleep(left + 50);
}

t.test('POST /v1/auth/token per client address (AUTH_RATE_LIMIT_PER_MINUTE=5)', async (t) => {
  const ctx = await buildTestApp(t, { env: { AUTH_RATE_LIMIT_PER_MINUTE: '5' } });
  const victim = await account(ctx, 'supervisor');
  const head = await auditHead(ctx.db);
  const attacker = '203.0.113.7';
  await clearOfMinuteEdge();

  // Password spraying from one address: a different username each time.
  for (let i = 0; i < 5; i++) {
    const res = await tokenCall(ctx, { grant_type: 'password', username: `spray-${i}`, password: 'Winter2025!' }, attacker);
    t.equal(res.statusCode, 401, `attempt ${i + 1} is answered (401)`);
  }
  const sixth = await tokenCall(ctx, { grant_type: 'password', username: 'spray-6', password: 'Winter2025!' }, attacker);
  assertThrottled(t, sixth, 60, 'the 6th request in the minute');
  t.match(sixth.json().detail, /address/i, 'the detail says the address is limited');

  const right = await tokenCall(ctx, { grant_type: 'password', username: victim.username, password: TEST_PASSWORD }, attacker);
  assertThrottled(t, right, 60, 'even the right password from that address');
  t.notOk(JSON.parse(right.body).access_token, 'no token in a throttled answer');

  const client = await tokenCall(ctx, { grant_type: 'client_credentials', client_id: 'hc_nothing', client_secret: 'x' }, attacker);
  assertThrottled(t, client, 60, 'the client_credentials grant from that address');

  const form = await ctx.app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    remoteAddress: attacker,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username: victim.username, password: TEST_PASSWORD }).toString(),
  });
  assertThrottled(t, form, 60, 'a form-encoded request from that address');

  const spoofed = await tokenCall(ctx, { grant_type: 'password', username: victim.username, password: TEST_PASSWORD }, attacker, {
    'x-forwarded-for': '198.51.100.99',
    'x-real-ip': '198.51.100.99',
  });
  assertThrottled(t, spoofed, 60, 'X-Forwarded-For does not move the request to another address (trustProxy off)');

  const other = await tokenCall(ctx, { grant_type: 'password', username: victim.username, password: TEST_PASSWORD }, '198.51.100.20');
  t.equal(other.statusCode, 200, `another address signs in (${other.body.slice(0, 200)})`);

  const events = await auditAfter(ctx.db, head);
  const denied = eventsOf(events, 'auth.token_denied');
  t.equal(denied.length, 5, 'each of the 5 answered failures is audited as auth.token_denied');
  t.ok(denied.every((e) => (e.data as { ip?: string }).ip === attacker), 'with the address it came from');
  t.same(denied.map((e) => e.subject).sort(), [0, 1, 2, 3, 4].map((i) => `username:spray-${i}`).sort(), 'naming the username tried');
  t.notOk(JSON.stringify(events).includes('Winter2025!'), 'the password tried is not in the audit log');
  const throttled = eventsOf(events, 'auth.token_throttled');
  t.ok(
    throttled.some((e) => JSON.stringify(e).includes(attacker)),
    `the address being throttled is audited as auth.token_throttled (found ${throttled.length} throttle events: ${JSON.stringify(throttled).slice(0, 300)})`,
  );
});

t.test('POST /v1/auth/token per username (AUTH_FAILURES_PER_USERNAME=3): lock-out, then even the right password is 429', async (t) => {
  const ctx = await buildTestApp(t, { env: { AUTH_FAILURES_PER_USERNAME: '3' } });
  const victim = await account(ctx, 'supervisor');
  const bystander = await account(ctx, 'supervisor');
  const head = await auditHead(ctx.db);

  // From several addresses: the lock-out is per account, whatever the address.
  for (let i = 0; i < 3; i++) {
    const res = await tokenCall(ctx, { grant_type: 'password', username: victim.username, password: `guess-${i}` }, `192.0.2.${i + 1}`);
    assertProblem(t, res, 401, 'INVALID_CREDENTIALS');
  }
  const right = await tokenCall(ctx, { grant_type: 'password', username: victim.username, password: TEST_PASSWORD }, '192.0.2.50');
  assertThrottled(t, right, 15 * 60, 'the right password after 3 failures');
  t.match(right.json().detail, /failed attempts/i);
  t.notOk(JSON.parse(right.body).access_token, 'no token');

  for (const variant of [victim.username.toUpperCase(), `  ${victim.username} `]) {
    const res = await tokenCall(ctx, { grant_type: 'password', username: variant, password: TEST_PASSWORD }, '192.0.2.51');
    assertThrottled(t, res, 15 * 60, `the same account spelt ${JSON.stringify(variant)}`);
  }

  const ok = await tokenCall(ctx, { grant_type: 'password', username: bystander.username, password: TEST_PASSWORD }, '192.0.2.1');
  t.equal(ok.statusCode, 200, 'another username signs in, even from an address that guessed');
  const me = await ctx.request({ method: 'GET', url: '/v1/me', token: victim.token });
  t.equal(me.statusCode, 200, 'a token issued before the lock-out keeps working (the lock-out guards the sign-in)');

  // A name that does not exist is locked out the same way: the answers do not tell them apart.
  const ghost = `ghost-${process.pid}`;
  const ghostAnswers: number[] = [];
  for (let i = 0; i < 4; i++) {
    ghostAnswers.push((await tokenCall(ctx, { grant_type: 'password', username: ghost, password: `guess-${i}` })).statusCode);
  }
  t.same(ghostAnswers, [401, 401, 401, 429], 'an unknown username: the same 401, 401, 401, then 429');

  const events = await auditAfter(ctx.db, head);
  const denied = eventsOf(events, 'auth.token_denied').filter((e) => e.subject === `username:${victim.username}`);
  t.equal(denied.length, 3, 'the 3 failures are audited as auth.token_denied naming the username');
  t.same(denied.map((e) => (e.data as { ip?: string }).ip), ['192.0.2.1', '192.0.2.2', '192.0.2.3'], 'with each address');
  const throttled = eventsOf(events, 'auth.token_throttled').filter((e) => e.subject === `username:${victim.username}`);
  t.equal(throttled.length, 1, `the 3 refused attempts during the lock-out are audited once, as auth.token_throttled (${throttled.length})`);
  t.equal(throttled[0]?.actor, 'anonymous');
  t.match(throttled[0]?.data, { grantType: 'password', ip: '192.0.2.50' });
  t.notOk(JSON.stringify(events).includes(TEST_PASSWORD) || JSON.stringify(events).includes('guess-0'), 'no password in the audit log');
  t.notOk(events.some((e) => e.action === 'auth.token_issued' && e.subject === `user:${victim.id}`), 'no token was issued to the locked account');
});

t.test('a locked username is audited once per lock window, however many attempts hit it', async (t) => {
  const ctx = await buildTestApp(t, { env: { AUTH_FAILURES_PER_USERNAME: '3' } });
  const victim = await account(ctx, 'supervisor');
  const other = await account(ctx, 'officer', { checkpoint: 'LMC' });
  ctx.clock.set(new Date());
  const head = await auditHead(ctx.db);
  const lock = async (username: string) => {
    for (let i = 0; i < 3; i++) {
      assertProblem(t, await tokenCall(ctx, { grant_type: 'password', username, password: `wrong-${i}` }), 401, 'INVALID_CREDENTIALS');
    }
  };
  await lock(victim.username);

  // 25 attempts on the locked name, from 25 addresses, right and wrong passwords, spelt two ways.
  const N = 25;
  for (let i = 0; i < N; i++) {
    const username = i % 2 ? victim.username.toUpperCase() : victim.username;
    const res = await tokenCall(ctx, { grant_type: 'password', username, password: i % 3 ? `flood-${i}` : TEST_PASSWORD }, `198.18.0.${i + 1}`);
    assertThrottled(t, res, 15 * 60, `throttled attempt ${i + 1}`);
  }
  await lock(other.username);
  for (let i = 0; i < 5; i++) assertThrottled(t, await tokenCall(ctx, { grant_type: 'password', username: other.username, password: 'x' }), 15 * 60, `other name ${i + 1}`);

  let events = await auditAfter(ctx.db, head);
  const throttledOf = (username: string) => eventsOf(events, 'auth.token_throttled').filter((e) => e.subject === `username:${username}`);
  t.equal(throttledOf(victim.username).length, 1, `${N} throttled attempts on one name: 1 auth.token_throttled event`);
  t.match(throttledOf(victim.username)[0]?.data, { grantType: 'password', ip: '198.18.0.1', limit: 'username' }, 'the first attempt, with its address');
  t.equal(throttledOf(other.username).length, 1, 'another locked name gets its own single event');
  t.equal(eventsOf(events, 'auth.token_denied').length, 6, 'the 6 real failures are each audited');
  t.equal(events.length, 8, 'and nothing else: 6 denied + 2 throttled, not one per attempt');

  // The window slides on: the name signs in again; locked again, it is audited again, once.
  ctx.clock.advance(15 * 60_000 + 1000);
  const back = await tokenCall(ctx, { grant_type: 'password', username: victim.username, password: TEST_PASSWORD });
  t.equal(back.statusCode, 200, `after the window the right password signs in (${back.body.slice(0, 200)})`);
  await lock(victim.username);
  for (let i = 0; i < 10; i++) assertThrottled(t, await tokenCall(ctx, { grant_type: 'password', username: victim.username, password: TEST_PASSWORD }), 15 * 60, `second window ${i + 1}`);
  events = await auditAfter(ctx.db, head);
  t.equal(throttledOf(victim.username).length, 2, 'a second lock window: one more event, not ten');
});

t.test('client_credentials: failures per client id lock that client out', async (t) => {
  const ctx = await buildTestApp(t, { env: { AUTH_FAILURES_PER_USERNAME: '3' } });
  const sup = await account(ctx, 'supervisor');
  const inst = await insertInstitution(ctx.db);
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: sup.token, payload: { name: 'payroll sync' } });
  t.equal(created.statusCode, 201, created.body);
  const { clientId, clientSecret } = created.json<{ clientId: string; clientSecret: string }>();
  const head = await auditHead(ctx.db);
  for (let i = 0; i < 3; i++) {
    const res = await tokenCall(ctx, { grant_type: 'client_credentials', client_id: clientId, client_secret: `wrong-${i}` });
    assertProblem(t, res, 401, 'INVALID_CREDENTIALS');
  }
  const right = await tokenCall(ctx, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
  assertThrottled(t, right, 15 * 60, 'the right secret after 3 failures');
  const events = await auditAfter(ctx.db, head);
  t.equal(eventsOf(events, 'auth.token_denied').length, 3, 'each failure audited');
  t.ok(eventsOf(events, 'auth.token_throttled').some((e) => e.subject === `client:${clientId}`), 'the throttle audited naming the client');
  t.notOk(JSON.stringify(events).includes(clientSecret), 'the secret is not in the audit log');
});

t.test('clearance lookups per officer (LOOKUP_RATE_LIMIT_PER_MINUTE=4)', async (t) => {
  const ctx = await buildTestApp(t, { env: { LOOKUP_RATE_LIMIT_PER_MINUTE: '4' } });
  const officer = await account(ctx, 'officer', { checkpoint: 'LMC' });
  const colleague = await account(ctx, 'officer', { checkpoint: 'LMC' });
  const traveller = await insertTraveller(ctx.db);
  const lookup = (token: string, number: string, remoteAddress = '127.0.0.1') =>
    ctx.app.inject({
      method: 'POST',
      url: '/v1/clearance/lookup',
      remoteAddress,
      headers: { authorization: `Bearer ${token}` },
      payload: { document: { kind: 'passport', number } },
    });

  // Walking the number space: misses count as much as hits.
  await clearOfMinuteEdge();
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await lookup(officer.token, `E${String(10_000_000 + i)}`)).statusCode);
  statuses.push((await lookup(officer.token, traveller.passport)).statusCode);
  t.same(statuses, [404, 404, 404, 200], 'the first 4 lookups are answered');
  const fifth = await lookup(officer.token, traveller.passport);
  assertThrottled(t, fifth, 60, 'the 5th lookup in the minute');
  t.notOk(fifth.body.includes(traveller.passport), 'the throttled answer carries no traveller card');
  const elsewhere = await lookup(officer.token, traveller.passport, '198.51.100.1');
  assertThrottled(t, elsewhere, 60, 'the limit is the officer’s, not the desk’s address');
  const other = await lookup(colleague.token, traveller.passport);
  t.equal(other.statusCode, 200, 'another officer at the same desk is not limited');
});

t.test('a lookup needs the whole document number: a part of one, or a pattern, finds nobody', async (t) => {
  const ctx = await buildTestApp(t);
  const officer = await account(ctx, 'officer', { checkpoint: 'LMC' });
  const traveller = await insertTraveller(ctx.db);
  const lookup = (number: string) =>
    ctx.app.inject({ method: 'POST', url: '/v1/clearance/lookup', headers: { authorization: `Bearer ${officer.token}` }, payload: { document: { kind: 'passport', number } } });
  const p = traveller.passport;
  t.equal((await lookup(p)).statusCode, 200, 'the whole number finds the traveller');
  t.equal((await lookup(p.toLowerCase())).statusCode, 200, 'in any spelling that normalises to it');
  for (const part of [p.slice(0, -1), p.slice(1), p.slice(0, 5)]) {
    const res = await lookup(part);
    assertProblem(t, res, 404, 'NOT_FOUND');
    t.notOk(res.body.includes(p), `${part}: no card, no number`);
  }
  for (const pattern of [`${p}0`, `${p.slice(0, 5)}%`, `${p.slice(0, -1)}_`, `${p.slice(0, 5)}*`, '%', '.*']) {
    const res = await lookup(pattern);
    t.ok([404, 422].includes(res.statusCode), `${pattern}: ${res.statusCode}, not a match`);
    t.notOk(res.body.includes(p), `${pattern}: no card`);
  }
});

t.test('the global per-address ceiling (RATE_LIMIT_PER_MINUTE=10) leaves /health alone', async (t) => {
  const ctx = await buildTestApp(t, { env: { RATE_LIMIT_PER_MINUTE: '10' } });
  const sup = await account(ctx, 'supervisor');
  const from = (remoteAddress: string, url: string, token?: string) =>
    ctx.app.inject({ method: 'GET', url, remoteAddress, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const addr = '203.0.113.50';
  await clearOfMinuteEdge();

  const answered: number[] = [];
  for (let i = 0; i < 10; i++) answered.push((await from(addr, i % 2 ? '/v1/me' : '/v1/checkpoints', sup.token)).statusCode);
  t.same(answered, Array(10).fill(200), 'the first 10 requests are answered');
  assertThrottled(t, await from(addr, '/v1/me', sup.token), 60, 'the 11th');
  assertThrottled(t, await from(addr, '/v1/me'), 60, 'a request without a token is refused by the ceiling before authentication');
  assertThrottled(t, await from(addr, '/v1/no-such-route'), 60, 'so is one to an unknown route');
  assertThrottled(t, await from(addr, '/docs/json'), 60, 'and the OpenAPI document');
  const spoofed = await ctx.app.inject({ method: 'GET', url: '/v1/me', remoteAddress: addr, headers: { authorization: `Bearer ${sup.token}`, 'x-forwarded-for': '10.9.8.7' } });
  assertThrottled(t, spoofed, 60, 'X-Forwarded-For does not escape it');

  const health: number[] = [];
  for (let i = 0; i < 25; i++) health.push((await from(addr, i % 2 ? '/health/live' : '/health/ready')).statusCode);
  t.same(health, Array(25).fill(200), 'the limited address still gets 25 health answers: probes are never limited');
  t.equal((await from('203.0.113.51', '/v1/me', sup.token)).statusCode, 200, 'another address is not limited');
});
