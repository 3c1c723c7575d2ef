import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../../src/app.js';
import { apiClients } from '../../../src/db/schema.js';
import { buildTestApp, TEST_PASSWORD } from '../../support/app.js';
import { insertInstitution } from '../../support/records.js';
import { assertProblem } from '../../support/http-checks.js';
import { decodeJwt, TEST_AUDIENCE, TEST_ISSUER } from '../../support/jwt.js';

/**
 * POST /v1/auth/token: the password and client_credentials grants, what the
 * tokens carry, what a refusal says (and does not say), disabled accounts and
 * revoked clients, form bodies, and the audit trail of refusals.
 */

const ctx = await buildTestApp(t);
const supervisor = await ctx.caller('supervisor');
const auditor = await ctx.caller('auditor');

const tokenRequest = (payload: Record<string, string>) =>
  ctx.request({ method: 'POST', url: '/v1/auth/token', payload });

async function auditEvents(query: string): Promise<Array<Record<string, unknown>>> {
  const res = await ctx.request({ method: 'GET', url: `/v1/audit-events?limit=200&${query}`, token: auditor.token });
  if (res.statusCode !== 200) throw new Error(`audit-events: ${res.statusCode} ${res.body}`);
  return res.json<{ items: Array<Record<string, unknown>> }>().items;
}

t.test('password grant: 200 {access_token, token_type: Bearer, expires_in} and the JWT carries sub, role and scope claims', async (t) => {
  const officer = await ctx.caller('officer', { checkpoint: 'SZB' });
  const res = await tokenRequest({ grant_type: 'password', username: officer.username, password: TEST_PASSWORD });
  t.equal(res.statusCode, 200, res.body);
  t.match(String(res.headers['content-type']), /^application\/json/);
  t.equal(res.headers['cache-control'], 'no-store', 'a token answer is never cached');
  const body = res.json<Record<string, unknown>>();
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type'], 'exactly the OAuth 2.0 fields');
  t.equal(body.token_type, 'Bearer');
  t.equal(body.expires_in, ctx.config.jwt.ttlSeconds, 'expires_in is the configured TTL');
  const { header, payload } = decodeJwt(body.access_token as string);
  t.equal(header.alg, 'HS256', 'signed with the pinned algorithm');
  t.equal(payload.sub, officer.userId);
  t.equal(payload.kind, 'user');
  t.equal(payload.role, 'officer');
  t.equal(payload.checkpoint, 'SZB', 'an officer token carries its checkpoint');
  t.equal(payload.username, officer.username);
  t.equal(payload.iss, TEST_ISSUER);
  t.equal(payload.aud, TEST_AUDIENCE);
  t.equal((payload.exp as number) - (payload.iat as number), ctx.config.jwt.ttlSeconds, 'exp - iat is expires_in');
  t.notOk('password' in payload || 'passwordHash' in payload, 'no secret in the claims');

  const me = await ctx.request({ method: 'GET', url: '/v1/me', token: body.access_token as string });
  t.equal(me.statusCode, 200, me.body);
  t.match(me.json(), { sub: officer.userId, kind: 'user', role: 'officer', checkpoint: 'SZB' }, 'the token works');
});

t.test('institution_admin and researcher tokens carry institutionId / researcherId', async (t) => {
  const admin = await ctx.caller('institution_admin');
  const adminClaims = decodeJwt(admin.token).payload;
  t.equal(adminClaims.role, 'institution_admin');
  t.equal(adminClaims.institutionId, admin.scope.institutionId);
  t.notOk('checkpoint' in adminClaims, 'no scope claim the role does not take');

  const researcher = await ctx.caller('researcher');
  const rClaims = decodeJwt(researcher.token).payload;
  t.equal(rClaims.role, 'researcher');
  t.equal(rClaims.researcherId, researcher.scope.researcherId);
  t.equal(rClaims.institutionId, researcher.scope.institutionId);

  const sup = decodeJwt(supervisor.token).payload;
  t.equal(sup.role, 'supervisor');
  t.notOk('institutionId' in sup || 'researcherId' in sup || 'checkpoint' in sup, 'a supervisor token carries no scope');
});

t.test('the username is matched case-insensitively and trimmed', async (t) => {
  const res = await tokenRequest({ grant_type: 'password', username: `  ${supervisor.username.toUpperCase()} `, password: TEST_PASSWORD });
  t.equal(res.statusCode, 200, res.body);
  t.equal(decodeJwt(res.json().access_token).payload.sub, supervisor.userId);
});

t.test('wrong password, unknown username and disabled account all answer the same 401 that does not say which part was wrong', async (t) => {
  const victim = await ctx.caller('auditor');
  const wrongPassword = await tokenRequest({ grant_type: 'password', username: victim.username, password: 'not the password at all' });
  const unknownUser = await tokenRequest({ grant_type: 'password', username: 'nobody-by-this-name', password: TEST_PASSWORD });

  const disable = await ctx.request({ method: 'POST', url: `/v1/users/${victim.userId}/disable`, token: supervisor.token });
  t.equal(disable.statusCode, 200, disable.body);
  const disabledAccount = await tokenRequest({ grant_type: 'password', username: victim.username, password: TEST_PASSWORD });

  const bodies = [
    assertProblem(t, wrongPassword, 401, 'INVALID_CREDENTIALS'),
    assertProblem(t, unknownUser, 401, 'INVALID_CREDENTIALS'),
    assertProblem(t, disabledAccount, 401, 'INVALID_CREDENTIALS'),
  ];
  for (const b of bodies.slice(1)) {
    t.equal(b.type, bodies[0]!.type, 'same type');
    t.equal(b.title, bodies[0]!.title, 'same title');
    t.equal(b.detail, bodies[0]!.detail, 'same detail');
  }
  t.notMatch(bodies[0]!.detail, /password|user ?name|unknown|not found|disabled|exist/i, 'the detail does not say which part was wrong');
});

t.test('a disabled account: its login is refused, its live token is refused, and enabling restores both', async (t) => {
  const officer = await ctx.caller('officer');
  t.equal((await ctx.request({ method: 'GET', url: '/v1/me', token: officer.token })).statusCode, 200, 'the token works before');

  const res = await ctx.request({ method: 'POST', url: `/v1/users/${officer.userId}/disable`, token: supervisor.token });
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().status, 'disabled');

  const me = await ctx.request({ method: 'GET', url: '/v1/me', token: officer.token });
  assertProblem(t, me, 401);
  t.equal(me.headers['www-authenticate'], 'Bearer');
  const login = await tokenRequest({ grant_type: 'password', username: officer.username, password: TEST_PASSWORD });
  assertProblem(t, login, 401, 'INVALID_CREDENTIALS');

  const enable = await ctx.request({ method: 'POST', url: `/v1/users/${officer.userId}/enable`, token: supervisor.token });
  t.equal(enable.statusCode, 200, enable.body);
  t.equal(enable.json().status, 'active');
  t.equal((await ctx.request({ method: 'GET', url: '/v1/me', token: officer.token })).statusCode, 200, 'the token works again');
  t.equal((await tokenRequest({ grant_type: 'password', username: officer.username, password: TEST_PASSWORD })).statusCode, 200);
});

t.test('another API instance on the same database stops accepting a disabled account within the ~2 s account cache', async (t) => {
  const other = await buildApp({ config: ctx.config, database: ctx.testDb.database }, { logger: false });
  t.teardown(() => other.close());
  const officer = await ctx.caller('officer');
  const onOther = () => other.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${officer.token}` } });

  t.equal((await onOther()).statusCode, 200, 'accepted (and cached as active) before the disable');
  const res = await ctx.request({ method: 'POST', url: `/v1/users/${officer.userId}/disable`, token: supervisor.token });
  t.equal(res.statusCode, 200, res.body);
  await sleep(2100);
  const after = await onOther();
  assertProblem(t, after, 401);
  t.equal(after.headers['www-authenticate'], 'Bearer');
});

t.test('a supervisor cannot disable their own account', async (t) => {
  const res = await ctx.request({ method: 'POST', url: `/v1/users/${supervisor.userId}/disable`, token: supervisor.token });
  assertProblem(t, res, 409, 'CANNOT_DISABLE_SELF');
  t.equal((await ctx.request({ method: 'GET', url: '/v1/me', token: supervisor.token })).statusCode, 200, 'still active');
});

t.test('client_credentials: a client created for an institution gets an institution_admin token for it; the secret is shown once', async (t) => {
  const inst = await insertInstitution(ctx.db);
  const created = await ctx.request({
    method: 'POST',
    url: `/v1/institutions/${inst.id}/api-clients`,
    token: supervisor.token,
    payload: { name: 'HR system' },
  });
  t.equal(created.statusCode, 201, created.body);
  const client = created.json<{ id: string; clientId: string; clientSecret: string; institutionId: string; name: string; revokedAt: null }>();
  t.match(client, { institutionId: inst.id, name: 'HR system', revokedAt: null });
  t.ok(client.clientSecret.length >= 32, 'a long random secret');
  t.notOk('secretHash' in client, 'the hash never leaves');

  const [stored] = await ctx.db.select().from(apiClients).where(eq(apiClients.id, client.id));
  t.match(stored!.secretHash, /^\$argon2id\$/, 'only an argon2id hash is stored');
  t.notOk(stored!.secretHash.includes(client.clientSecret), 'the plain secret is not stored');

  const list = await ctx.request({ method: 'GET', url: `/v1/institutions/${inst.id}/api-clients`, token: supervisor.token });
  t.equal(list.statusCode, 200, list.body);
  const items = list.json<{ items: Array<Record<string, unknown>> }>().items;
  t.equal(items.length, 1);
  t.equal(items[0]!.clientId, client.clientId);
  t.notOk('clientSecret' in items[0]! || 'secretHash' in items[0]!, 'the listing never shows the secret or its hash');
  t.notOk(list.body.includes(client.clientSecret), 'the secret appears nowhere in the listing');

  const token = await tokenRequest({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret });
  t.equal(token.statusCode, 200, token.body);
  t.equal(token.json().token_type, 'Bearer');
  const claims = decodeJwt(token.json().access_token).payload;
  t.match(claims, { sub: client.id, kind: 'client', role: 'institution_admin', institutionId: inst.id });
  const me = await ctx.request({ method: 'GET', url: '/v1/me', token: token.json().access_token });
  t.equal(me.statusCode, 200, me.body);
  t.match(me.json(), { kind: 'client', institutionId: inst.id });

  const wrong = await tokenRequest({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: `${client.clientSecret}x` });
  assertProblem(t, wrong, 401, 'INVALID_CREDENTIALS');
  const unknown = await tokenRequest({ grant_type: 'client_credentials', client_id: 'hc_nosuchclient', client_secret: client.clientSecret });
  const unknownBody = assertProblem(t, unknown, 401, 'INVALID_CREDENTIALS');
  t.equal(unknownBody.detail, wrong.json().detail, 'unknown client and wrong secret say the same');
});

t.test('creating an API client without a body (its name is optional) gives a client named "integration"', async (t) => {
  // The route declares its body optional and defaults the name, but Fastify hands a
  // missing body to the validator as null, which `.optional()` refuses (422).
  const inst = await insertInstitution(ctx.db);
  const res = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: supervisor.token });
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().name, 'integration');
});

t.test('a revoked client: its grant is refused and its live token stops working', async (t) => {
  const inst = await insertInstitution(ctx.db);
  const admin = await ctx.caller('institution_admin', { institutionId: inst.id });
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: admin.token, payload: { name: 'HR' } });
  t.equal(created.statusCode, 201, created.body);
  const { clientId, clientSecret } = created.json<{ clientId: string; clientSecret: string }>();
  const grant = () => tokenRequest({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
  const first = await grant();
  t.equal(first.statusCode, 200, first.body);
  const clientToken = first.json().access_token as string;
  t.equal((await ctx.request({ method: 'GET', url: '/v1/me', token: clientToken })).statusCode, 200);

  const revoke = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients/${clientId}/revoke`, token: admin.token });
  t.equal(revoke.statusCode, 200, revoke.body);
  t.ok(revoke.json().revokedAt, 'revokedAt is set');

  assertProblem(t, await grant(), 401, 'INVALID_CREDENTIALS');
  const me = await ctx.request({ method: 'GET', url: '/v1/me', token: clientToken });
  assertProblem(t, me, 401);
  t.equal(me.headers['www-authenticate'], 'Bearer');
});

t.test('an API client cannot mint further API clients (only a person can)', async (t) => {
  const inst = await insertInstitution(ctx.db);
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: supervisor.token, payload: { name: 'HR' } });
  const { clientId, clientSecret } = created.json<{ clientId: string; clientSecret: string }>();
  const grant = await tokenRequest({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
  const res = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: grant.json().access_token, payload: { name: 'x' } });
  assertProblem(t, res, 403, 'FORBIDDEN');
});

t.test('a form-urlencoded token request is accepted, for both grants', async (t) => {
  const form = new URLSearchParams({ grant_type: 'password', username: supervisor.username, password: TEST_PASSWORD }).toString();
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(res.statusCode, 200, res.body);
  t.equal(decodeJwt(res.json().access_token).payload.sub, supervisor.userId);

  const inst = await insertInstitution(ctx.db);
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: supervisor.token, payload: { name: 'HR' } });
  const { clientId, clientSecret } = created.json<{ clientId: string; clientSecret: string }>();
  const clientForm = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  });
  t.equal(clientForm.statusCode, 200, clientForm.body);

  const bad = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: 'grant_type=password&username=someone',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const problem = assertProblem(t, bad, 422, 'VALIDATION_FAILED');
  t.ok(problem.errors?.some((e) => e.path === 'password'), 'a form without password names the field');
});

t.test('a malformed token request is a 422 naming the field, not a 401 or 500', async (t) => {
  const noGrant = await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: { username: 'x', password: 'y' } });
  const p1 = assertProblem(t, noGrant, 422, 'VALIDATION_FAILED');
  t.ok(p1.errors?.some((e) => e.path === 'grant_type'), 'names grant_type');
  const other = await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'authorization_code', code: 'x' } });
  assertProblem(t, other, 422, 'VALIDATION_FAILED');
  const noSecret = await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: 'x' } });
  const p3 = assertProblem(t, noSecret, 422, 'VALIDATION_FAILED');
  t.ok(p3.errors?.some((e) => e.path === 'client_secret'), 'names client_secret');
});

t.test('failed attempts are in the audit log as auth.token_denied (without the password); successes as auth.token_issued', async (t) => {
  const attemptedPassword = 'Guessed-Password-4711';
  await tokenRequest({ grant_type: 'password', username: 'mallory-probe', password: attemptedPassword });
  await tokenRequest({ grant_type: 'client_credentials', client_id: 'hc_mallory', client_secret: attemptedPassword });
  await tokenRequest({ grant_type: 'password', username: supervisor.username, password: attemptedPassword });

  const denied = await auditEvents('action=auth.token_denied');
  const byUser = denied.find((e) => e.subject === 'username:mallory-probe');
  t.ok(byUser, 'an unknown username is recorded');
  t.match(byUser, { actor: 'anonymous', role: 'anonymous', action: 'auth.token_denied', data: { grantType: 'password', username: 'mallory-probe' } });
  const byClient = denied.find((e) => e.subject === 'client:hc_mallory');
  t.ok(byClient, 'an unknown client is recorded');
  t.match(byClient, { data: { grantType: 'client_credentials', clientId: 'hc_mallory' } });
  t.ok(denied.some((e) => e.subject === `username:${supervisor.username}`), 'a wrong password for a real account is recorded');
  t.notOk(JSON.stringify(denied).includes(attemptedPassword), 'the attempted password is never recorded');

  const issued = await auditEvents(`action=auth.token_issued&subject=${encodeURIComponent(`user:${supervisor.userId}`)}`);
  t.ok(issued.length >= 1, 'a successful sign-in is recorded');
  t.match(issued[0], { actor: supervisor.userId, role: 'supervisor' });
});
