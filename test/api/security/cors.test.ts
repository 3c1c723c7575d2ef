// CORS (OWASP API8:2023, security misconfiguration): closed by default, and when
// CORS_ORIGINS lists origins, open to exactly those. With the default configuration
// no answer carries an Access-Control-* header — not a GET from another origin, not
// a preflight (an ordinary 404 problem), not an error — so a page on any other site
// cannot read an answer, whatever token its script holds. With a list, a listed
// origin's preflight gets that origin back (never `*`, never a reflection of an
// unknown origin), the methods and headers the API takes, no credentials and a
// 10-minute cache; an origin not on the list, or one that differs from it only by
// case, scheme, port or a suffix, gets nothing. A `*` in CORS_ORIGINS stops the start.
// The other security headers ride on every answer, granted or not.
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { ConfigError, parseEnv } from '../../../src/config.js';
import { buildTestApp, testConfig } from '../../support/app.js';
import { assertProblem } from '../../support/http-checks.js';

const ALLOWED = 'https://desk.customs.example';
const SECOND = 'http://localhost:5173';
const EVIL = 'https://evil.example';

const preflight = (origin: string, url = '/v1/checkpoints', method = 'GET', headers = 'authorization,content-type') => ({
  method: 'OPTIONS' as const,
  url,
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
});

/** No CORS grant of any kind in the answer. */
function assertNoCors(t: Test, res: LightMyRequestResponse, what: string): void {
  const cors = Object.keys(res.headers).filter((h) => h.toLowerCase().startsWith('access-control-'));
  t.same(cors, [], `${what}: no Access-Control-* header (${cors.map((h) => `${h}: ${String(res.headers[h])}`).join('; ')})`);
}

function headerList(res: LightMyRequestResponse, name: string): string[] {
  return String(res.headers[name] ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .sort();
}

t.test('default configuration (no CORS_ORIGINS): CORS is closed on every answer', async (t) => {
  const ctx = await buildTestApp(t);
  t.same(ctx.config.http.corsOrigins, [], 'no origin is listed by default');
  const sup = await ctx.caller('supervisor');

  const get = await ctx.request({ method: 'GET', url: '/v1/checkpoints', token: sup.token, headers: { origin: EVIL } });
  t.equal(get.statusCode, 200, 'a cross-origin GET with a token is answered (the server cannot stop it) …');
  assertNoCors(t, get, '… but without a grant, so the browser keeps the answer from the page');

  for (const origin of [EVIL, ALLOWED, 'null']) {
    const res = await ctx.request(preflight(origin));
    t.ok(res.statusCode < 500, `preflight from ${origin}: not a 5xx (${res.statusCode})`);
    assertProblem(t, res, 404, 'ROUTE_NOT_FOUND');
    assertNoCors(t, res, `preflight from ${origin}`);
  }
  const write = await ctx.request(preflight(EVIL, '/v1/institutions', 'POST', 'authorization,content-type,idempotency-key'));
  assertProblem(t, write, 404);
  assertNoCors(t, write, 'preflight of a POST');
  const bare = await ctx.request({ method: 'OPTIONS', url: '/v1/checkpoints' });
  assertProblem(t, bare, 404);
  assertNoCors(t, bare, 'an OPTIONS without Origin');

  for (const [what, res] of [
    ['401 without a token', await ctx.request({ method: 'GET', url: '/v1/checkpoints', headers: { origin: EVIL } })],
    ['POST /v1/auth/token (401)', await ctx.request({ method: 'POST', url: '/v1/auth/token', headers: { origin: EVIL }, payload: { grant_type: 'password', username: 'nobody', password: 'x' } })],
    ['a 404 route', await ctx.request({ method: 'GET', url: '/v1/nothing-here', headers: { origin: EVIL } })],
    ['/health/live', await ctx.request({ method: 'GET', url: '/health/live', headers: { origin: EVIL } })],
    ['/docs/json', await ctx.request({ method: 'GET', url: '/docs/json', headers: { origin: EVIL } })],
  ] as const) {
    assertNoCors(t, res, what);
  }
});

t.test(`CORS_ORIGINS=${ALLOWED},${SECOND}: exactly those origins get a grant`, async (t) => {
  const ctx = await buildTestApp(t, { env: { CORS_ORIGINS: `${ALLOWED}, ${SECOND}` } });
  t.same(ctx.config.http.corsOrigins, [ALLOWED, SECOND]);
  const sup = await ctx.caller('supervisor');

  for (const origin of [ALLOWED, SECOND]) {
    const res = await ctx.request(preflight(origin, '/v1/items/00000000-0000-4000-8000-000000000000', 'PATCH', 'authorization,content-type,if-match'));
    t.equal(res.statusCode, 204, `preflight from ${origin} is granted (204)`);
    t.equal(res.headers['access-control-allow-origin'], origin, 'Access-Control-Allow-Origin is that origin, not *');
    t.same(headerList(res, 'access-control-allow-methods'), ['delete', 'get', 'options', 'patch', 'post', 'put'], 'the methods the API takes');
    t.same(
      headerList(res, 'access-control-allow-headers'),
      ['authorization', 'content-type', 'idempotency-key', 'if-match', 'if-none-match', 'x-request-id'],
      'a fixed list of request headers, not a reflection of what was asked',
    );
    t.equal(res.headers['access-control-max-age'], '600', 'cached for 10 minutes');
    t.notOk(res.headers['access-control-allow-credentials'], 'no credentials (bearer tokens, no cookies)');
    t.match(String(res.headers.vary), /origin/i, 'Vary: Origin, so no cache hands one origin’s grant to another');
  }

  const oddHeader = await ctx.request(preflight(ALLOWED, '/v1/checkpoints', 'GET', 'x-evil-header'));
  t.notOk(headerList(oddHeader, 'access-control-allow-headers').includes('x-evil-header'), 'a header the API does not take is not granted');

  const get = await ctx.request({ method: 'GET', url: '/v1/checkpoints', token: sup.token, headers: { origin: ALLOWED } });
  t.equal(get.statusCode, 200);
  t.equal(get.headers['access-control-allow-origin'], ALLOWED, 'the listed origin may read the answer');
  t.same(headerList(get, 'access-control-expose-headers'), ['etag', 'idempotent-replayed', 'location', 'retry-after', 'x-request-id'], 'and the headers a client needs');
  t.notOk(get.headers['access-control-allow-credentials'], 'no credentials on the actual answer either');
  const refused = await ctx.request({ method: 'GET', url: '/v1/checkpoints', headers: { origin: ALLOWED } });
  assertProblem(t, refused, 401);
  t.equal(refused.headers['access-control-allow-origin'], ALLOWED, 'a listed origin can read its 401 problem (so the page can sign in again)');

  // Origins that are not on the list — including near misses — get nothing.
  for (const origin of [
    EVIL,
    'null',
    'https://DESK.customs.example',
    'http://desk.customs.example',
    'https://desk.customs.example:8443',
    'https://desk.customs.example.evil.example',
    'https://evil-desk.customs.example',
    'https://customs.example',
    'http://localhost:5174',
    `${ALLOWED}/`,
  ]) {
    const pre = await ctx.request(preflight(origin));
    t.ok(pre.statusCode < 500, `preflight from ${origin}: not a 5xx (${pre.statusCode})`);
    assertProblem(t, pre, 404, 'ROUTE_NOT_FOUND');
    assertNoCors(t, pre, `preflight from ${origin}`);
    const res = await ctx.request({ method: 'GET', url: '/v1/checkpoints', token: sup.token, headers: { origin } });
    t.equal(res.statusCode, 200);
    assertNoCors(t, res, `GET from ${origin}`);
  }
  const noOrigin = await ctx.request({ method: 'GET', url: '/v1/checkpoints', token: sup.token });
  assertNoCors(t, noOrigin, 'a request without Origin (same origin, curl, a server)');
  const bare = await ctx.request({ method: 'OPTIONS', url: '/v1/checkpoints' });
  assertProblem(t, bare, 404);
  assertNoCors(t, bare, 'an OPTIONS without Origin');
  const notPreflight = await ctx.request({ method: 'OPTIONS', url: '/v1/checkpoints', headers: { origin: ALLOWED } });
  t.ok(notPreflight.statusCode < 400 || /problem\+json/.test(String(notPreflight.headers['content-type'])), `an OPTIONS from a listed origin without Access-Control-Request-Method: ${notPreflight.statusCode}, not a text/plain error`);
});

t.test('a throttled answer to a listed origin still carries its grant (the page can read Retry-After)', async (t) => {
  const ctx = await buildTestApp(t, { env: { CORS_ORIGINS: ALLOWED, RATE_LIMIT_PER_MINUTE: '1' } });
  const first = await ctx.request({ method: 'GET', url: '/v1/checkpoints', headers: { origin: ALLOWED } });
  assertProblem(t, first, 401);
  const second = await ctx.request({ method: 'GET', url: '/v1/checkpoints', headers: { origin: ALLOWED } });
  assertProblem(t, second, 429, 'RATE_LIMITED');
  t.equal(second.headers['access-control-allow-origin'], ALLOWED);
  t.match(String(second.headers['access-control-expose-headers']), /Retry-After/);
  const evil = await ctx.request({ method: 'GET', url: '/v1/checkpoints', headers: { origin: EVIL } });
  assertProblem(t, evil, 429);
  assertNoCors(t, evil, 'a throttled answer to another origin');
});

t.test('the security headers ride on every answer, with or without a CORS grant', async (t) => {
  const ctx = await buildTestApp(t, { env: { CORS_ORIGINS: ALLOWED } });
  const sup = await ctx.caller('supervisor');
  const answers: Array<[string, LightMyRequestResponse]> = [
    ['a 200 to the listed origin', await ctx.request({ method: 'GET', url: '/v1/checkpoints', token: sup.token, headers: { origin: ALLOWED } })],
    ['a granted preflight (204)', await ctx.request(preflight(ALLOWED))],
    ['a refused preflight (404)', await ctx.request(preflight(EVIL))],
    ['a 401 problem', await ctx.request({ method: 'GET', url: '/v1/checkpoints' })],
    ['a 422 problem', await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password' } })],
    ['/health/live', await ctx.request({ method: 'GET', url: '/health/live' })],
  ];
  for (const [what, res] of answers) {
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options nosniff`);
    t.equal(res.headers['x-frame-options'], 'DENY', `${what}: X-Frame-Options DENY`);
    t.equal(res.headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy no-referrer`);
    t.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", `${what}: a CSP that allows nothing`);
    t.equal(res.headers['cache-control'], 'no-store', `${what}: Cache-Control no-store`);
    t.match(String(res.headers['x-request-id']), /\S/, `${what}: X-Request-Id`);
    t.notOk(res.headers['x-powered-by'], `${what}: no X-Powered-By`);
  }
});

t.test('CORS_ORIGINS refuses a wildcard and anything that is not an exact origin', async (t) => {
  const refused: Array<[string, RegExp]> = [
    ['*', /must not contain "\*"/],
    [`${ALLOWED},*`, /must not contain "\*"/],
    ['https://*.customs.example', /must not contain "\*"/],
    ['desk.customs.example', /not an origin/],
    ['null', /not an origin/],
    ['ftp://files.example', /not an origin/],
    [`${ALLOWED}/`, /write "https:\/\/desk\.customs\.example"/],
    [`${ALLOWED}/app`, /no path/],
    ['https://DESK.customs.example', /write "https:\/\/desk\.customs\.example"/],
    ['https://desk.customs.example:443', /write "https:\/\/desk\.customs\.example"/],
    ['https://user:pw@desk.customs.example', /not an origin as browsers send it/],
  ];
  for (const [value, message] of refused) {
    let err: unknown;
    try {
      parseEnv({ CORS_ORIGINS: value });
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ConfigError, `CORS_ORIGINS=${value} is a ConfigError`);
    const issues = err instanceof ConfigError ? err.issues : [];
    t.equal(issues.length, 1, `one issue: ${JSON.stringify(issues)}`);
    t.match(issues[0], /^CORS_ORIGINS /, 'naming CORS_ORIGINS');
    t.match(issues[0], message, `saying why (${issues[0]})`);
    t.throws(() => testConfig({ CORS_ORIGINS: value }), ConfigError, 'loadConfig refuses it too, so the app never starts with it');
  }
  t.same(testConfig({ CORS_ORIGINS: '' }).http.corsOrigins, [], 'empty is closed');
  t.same(testConfig({ CORS_ORIGINS: ` ${ALLOWED} ,, ${SECOND} ` }).http.corsOrigins, [ALLOWED, SECOND], 'blanks and spaces are dropped');
  t.same(testConfig({ CORS_ORIGINS: 'https://[::1]:8443' }).http.corsOrigins, ['https://[::1]:8443'], 'an IPv6 origin with a port');
});
