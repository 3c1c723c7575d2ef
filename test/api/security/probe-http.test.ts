// Issue 17, findings 4, 8 and 9 (the parts app.inject reaches), probed as an outside client would:
// JSON nested 100,000 deep with an Idempotency-Key is a 4xx problem, never a 500, and never built;
// an API client's token creates no login accounts; If-Match compares strongly (a weak tag or `*`
// is a 412); a token issued in the future is refused; `limit` takes decimal digits only.
// The listening-server probes (413, trickling bodies, Node's own errors) are in probe-http-listen.
import { eq } from 'drizzle-orm';
import t from 'tap';
import { users } from '../../../src/db/schema.js';
import { MAX_JSON_DEPTH } from '../../../src/http/edges.js';
import { buildTestApp } from '../../support/app.js';
import { insertInstitution, insertResearcher } from '../../support/records.js';
import { assertProblem } from '../../support/http-checks.js';
import { signJwt, validClaims } from '../../support/jwt.js';
import { researcherBody } from '../../support/registry.js';

const ctx = await buildTestApp(t);
const sup = await ctx.caller('supervisor');
const admin = await ctx.caller('institution_admin');
const instId = admin.scope.institutionId!;
const importUrl = `/v1/institutions/${instId}/researchers/import`;

const nested = (depth: number, open = '[', close = ']', inner = '1') => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

t.test('finding 4: JSON nested 100,000 deep on the import route with an Idempotency-Key is a 422 naming the body, not a 500', async (t) => {
  for (const [what, payload] of [
    ['arrays', nested(100_000)],
    ['objects', nested(100_000, '{"a":', '}')],
    ['arrays inside a row', `[${nested(100_000)}]`],
  ] as const) {
    const res = await ctx.request({
      method: 'POST',
      url: importUrl,
      token: admin.token,
      headers: { 'content-type': 'application/json', 'idempotency-key': `deep-${what.replace(/\W/g, '-')}` },
      payload,
    });
    const problem = assertProblem(t, res, 422, 'VALIDATION_FAILED');
    t.same(problem.errors?.map((e) => e.path), ['body'], `${what}: the problem names the body`);
    t.match(problem.errors?.[0]?.message, /deeper than/, `${what}: and says it is nested too deep`);
  }

  // 8 MB of nesting is refused from its text: quickly, without building it.
  const started = performance.now();
  const big = await ctx.request({
    method: 'POST',
    url: importUrl,
    token: admin.token,
    headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-8mb' },
    payload: nested(4_000_000),
  });
  const ms = performance.now() - started;
  assertProblem(t, big, 422, 'VALIDATION_FAILED');
  t.ok(ms < 1000, `8 MB of nested arrays refused in ${ms.toFixed(0)} ms`);

  // The same on any JSON route, and the limit is exactly MAX_JSON_DEPTH.
  const deepUser = await ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, headers: { 'content-type': 'application/json' }, payload: nested(MAX_JSON_DEPTH + 1) });
  assertProblem(t, deepUser, 422, 'VALIDATION_FAILED');
  const atLimit = await ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, headers: { 'content-type': 'application/json' }, payload: nested(MAX_JSON_DEPTH) });
  assertProblem(t, atLimit, 422, 'VALIDATION_FAILED');
  t.notMatch(atLimit.json().errors?.[0]?.message ?? '', /deeper than/, `${MAX_JSON_DEPTH} levels parse; the schema refuses the shape`);
  const bracketsInStrings = await ctx.request({
    method: 'POST',
    url: '/v1/institutions',
    token: sup.token,
    payload: { name: `Lab ${'[{'.repeat(100)}`, side: 'HK', kind: 'university', registrationNumber: 'REG-DEEP-1' },
  });
  t.equal(bracketsInStrings.statusCode, 201, `brackets inside strings do not count as nesting (${bracketsInStrings.body.slice(0, 200)})`);

  // Prototype poisoning is still refused as Fastify's own parser refuses it.
  for (const poisoned of ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
    const res = await ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, headers: { 'content-type': 'application/json' }, payload: poisoned });
    assertProblem(t, res, 400, 'MALFORMED_JSON');
  }

  // A normal import, keyed, still works, and its retry replays.
  const rows = [researcherBody(), researcherBody()];
  const first = await ctx.request({ method: 'POST', url: importUrl, token: admin.token, headers: { 'idempotency-key': 'deep-normal' }, payload: rows as never });
  t.equal(first.statusCode, 201, `a normal import is created (${first.body.slice(0, 300)})`);
  const again = await ctx.request({ method: 'POST', url: importUrl, token: admin.token, headers: { 'idempotency-key': 'deep-normal' }, payload: rows as never });
  t.equal(again.statusCode, 201);
  t.equal(again.body, first.body, 'and its retry answers the first result');
});

t.test("finding 8: an API client's token creates no login accounts (403), a person's still does", async (t) => {
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${instId}/api-clients`, token: admin.token, payload: { name: 'hr-system' } });
  t.equal(created.statusCode, 201, created.body);
  const tokenRes = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'client_credentials', client_id: created.json().clientId, client_secret: created.json().clientSecret },
  });
  t.equal(tokenRes.statusCode, 200, tokenRes.body);
  const clientToken = tokenRes.json().access_token as string;

  const researcher = await insertResearcher(ctx.db, { institutionId: instId });
  const username = `client-made-${process.pid}`;
  const body = { username, password: 'correct horse battery staple', role: 'researcher', researcherId: researcher.id };
  const res = await ctx.request({ method: 'POST', url: '/v1/users', token: clientToken, payload: body, headers: { 'idempotency-key': 'client-user' } });
  assertProblem(t, res, 403, 'FORBIDDEN');
  t.match(res.json().detail, /API client/i, 'the detail says why');
  t.same(await ctx.db.select({ id: users.id }).from(users).where(eq(users.username, username)), [], 'no account was created');

  const byPerson = await ctx.request({ method: 'POST', url: '/v1/users', token: admin.token, payload: body });
  t.equal(byPerson.statusCode, 201, `the institution admin (a person) creates the same account (${byPerson.body.slice(0, 200)})`);
});

t.test('finding 9: If-Match compares strongly: a weak tag and * are 412, the strong ETag is 200', async (t) => {
  const inst = await insertInstitution(ctx.db);
  const url = `/v1/institutions/${inst.id}`;
  const read = await ctx.request({ method: 'GET', url, token: sup.token });
  const etag = String(read.headers.etag);
  t.match(etag, /^"v\d+"$/, `the ETag is strong (${etag})`);
  const patch = (ifMatch: string, name: string) =>
    ctx.request({ method: 'PATCH', url, token: sup.token, headers: { 'if-match': ifMatch }, payload: { name } });

  const weak = await patch(`W/${etag}`, 'Weakly Matched Lab');
  t.match(assertProblem(t, weak, 412, 'PRECONDITION_FAILED').detail, /weak/i, 'a weak tag: 412, and the detail says a weak tag never matches');
  const star = await patch('*', 'Star Matched Lab');
  t.match(assertProblem(t, star, 412, 'PRECONDITION_FAILED').detail, /ETag/, '*: 412, and the detail says to send the ETag');
  t.equal((await ctx.request({ method: 'GET', url, token: sup.token })).json().name, inst.name, 'neither changed anything');

  const strong = await patch(etag, 'Strongly Matched Lab');
  t.equal(strong.statusCode, 200, strong.body);
  t.equal(strong.json().name, 'Strongly Matched Lab');
  const listed = await patch(`W/"v999", ${String(strong.headers.etag)}`, 'Listed Lab');
  t.equal(listed.statusCode, 200, 'a list with the current strong ETag in it matches');
});

t.test('finding 9: a token whose iat is more than 60 s in the future is refused', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const principal = { sub: sup.userId, role: 'supervisor', username: sup.username };
  const future = signJwt({ ...validClaims(principal), iat: now + 3600, exp: now + 7200 });
  assertProblem(t, await ctx.request({ method: 'GET', url: '/v1/me', token: future }), 401, 'UNAUTHORIZED');
  const twoMinutes = signJwt({ ...validClaims(principal), iat: now + 120, exp: now + 900 });
  assertProblem(t, await ctx.request({ method: 'GET', url: '/v1/me', token: twoMinutes }), 401, 'UNAUTHORIZED');
  // Within a minute of skew (another instance's clock a little fast) is fine, and so is a token of now.
  const skewed = signJwt({ ...validClaims(principal), iat: now + 30, exp: now + 900 });
  t.equal((await ctx.request({ method: 'GET', url: '/v1/me', token: skewed })).statusCode, 200, 'iat 30 s ahead: accepted');
  t.equal((await ctx.request({ method: 'GET', url: '/v1/me', token: signJwt(validClaims(principal)) })).statusCode, 200, 'iat now: accepted');
});

t.test('finding 9: limit takes decimal digits only: 0x10, 1e1, " 16" are a 422 naming limit', async (t) => {
  for (const limit of ['0x10', '1e1', '%2016', '16%20', '+16', '16.0', '0b10', '']) {
    const res = await ctx.request({ method: 'GET', url: `/v1/users?limit=${limit}`, token: sup.token });
    const problem = assertProblem(t, res, 422, 'VALIDATION_FAILED');
    t.same(problem.errors?.map((e) => e.path), ['limit'], `limit=${limit}: the problem names limit`);
  }
  for (const [limit, status] of [['0', 422], ['201', 422], ['16', 200], ['200', 200]] as const) {
    t.equal((await ctx.request({ method: 'GET', url: `/v1/users?limit=${limit}`, token: sup.token })).statusCode, status, `limit=${limit}: ${status}`);
  }
  const page = await ctx.request({ method: 'GET', url: '/v1/users?limit=2', token: sup.token });
  t.equal(page.json().items.length, 2, 'limit=2 gives two rows');
  t.equal((await ctx.request({ method: 'GET', url: '/v1/users', token: sup.token })).statusCode, 200, 'no limit: the default');
});
