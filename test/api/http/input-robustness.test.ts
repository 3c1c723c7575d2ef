import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { buildTestApp, TEST_PASSWORD } from '../../support/app.js';
import { insertInstitution, insertResearcher } from '../../support/records.js';

/**
 * Whatever a client sends, the answer is never a 5xx: a value the database
 * cannot store (a NUL character, a lone UTF-16 surrogate) is refused as a client
 * error, and generated bodies, queries and path parameters thrown at every
 * foundation route get a 2xx or a 4xx problem+json.
 */

const ctx = await buildTestApp(t);
const sup = await ctx.caller('supervisor');
const inst = await insertInstitution(ctx.db);
const admin = await ctx.caller('institution_admin', { institutionId: inst.id });
const researcher = await insertResearcher(ctx.db, { institutionId: inst.id });
const auditor = await ctx.caller('auditor');

const NUL = '\u0000';
const LONE_SURROGATE = '\ud800';

function assertClientError(t: Test, res: LightMyRequestResponse, what: string): void {
  t.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: a 4xx, not ${res.statusCode} (${res.body.slice(0, 200)})`);
  t.match(String(res.headers['content-type']), /^application\/problem\+json/, `${what}: problem+json`);
}

t.test('the token endpoint answers a NUL character in the username with a 4xx, not a 500', async (t) => {
  const res = await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username: `admin${NUL}`, password: 'whatever-password' } });
  assertClientError(t, res, 'NUL in username');
});

t.test('the token endpoint answers a NUL character in the client_id with a 4xx, not a 500', async (t) => {
  const res = await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'client_credentials', client_id: `hc_${NUL}`, client_secret: 'x' } });
  assertClientError(t, res, 'NUL in client_id');
});

t.test('the token endpoint answers a lone UTF-16 surrogate in the username with a 4xx, not a 500', async (t) => {
  // Postgres text and jsonb cannot hold it: the audit event of the refusal fails to insert.
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: `{"grant_type":"password","username":"x\\ud800","password":"whatever-password"}`,
    headers: { 'content-type': 'application/json' },
  });
  assertClientError(t, res, 'lone surrogate in username');
});

t.test('POST /v1/users with a NUL in checkpoint is a 4xx problem, not a 500, and creates nothing', async (t) => {
  const res = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: { username: 'nul-officer', password: TEST_PASSWORD, role: 'officer', checkpoint: `LMC${NUL}` } });
  assertClientError(t, res, 'NUL in checkpoint');
  const list = await ctx.request({ method: 'GET', url: '/v1/users?limit=200', token: sup.token });
  t.notOk(list.json<{ items: Array<{ username: string }> }>().items.some((u) => u.username === 'nul-officer'));
});

t.test('POST /v1/checkpoints with a NUL in a name is a 4xx problem, not a 500', async (t) => {
  const res = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code: 'NULNAME', name: `Lo${NUL}Wu`, nameZh: '罗湖' } });
  assertClientError(t, res, 'NUL in name');
});

t.test('POST /v1/checkpoints with a lone surrogate in a name is refused with a 4xx, not stored silently altered', async (t) => {
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/checkpoints',
    token: sup.token,
    payload: `{"code":"SURNAME","name":"ok","nameZh":"\\udc00"}`,
    headers: { 'content-type': 'application/json' },
  });
  assertClientError(t, res, 'lone surrogate in nameZh');
  const list = await ctx.request({ method: 'GET', url: '/v1/checkpoints?limit=200', token: sup.token });
  const stored = list.json<{ items: Array<{ code: string; nameZh: string }> }>().items.find((c) => c.code === 'SURNAME');
  t.notOk(stored, `nothing stored (found ${JSON.stringify(stored)})`);
});

t.test('GET /v1/audit-events with a NUL in a filter is not a 500', async (t) => {
  const res = await ctx.request({ method: 'GET', url: '/v1/audit-events?action=%00', token: auditor.token });
  t.ok(res.statusCode < 500, `answered ${res.statusCode} (${res.body.slice(0, 200)})`);
});

// ---- generated input --------------------------------------------------------------

/** Percent-encodes every UTF-8 byte, so any generated string can go in a URL. */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(NUL, `a${NUL}b`, LONE_SURROGATE, `x${LONE_SURROGATE}`, '', ' ', 'LMC', 'supervisor', 'officer', 'researcher', TEST_PASSWORD, researcher.id, inst.id, '00000000-0000-0000-0000-000000000000', 'x'.repeat(300)),
);
const anyValue = fc.oneof(anyString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(anyString, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }));

/** Objects with the route's own field names (so validation gets past the first check) and stray ones. */
function bodyWith(fields: string[]) {
  return fc.oneof(
    fc.record(Object.fromEntries(fields.map((f) => [f, anyValue])), { requiredKeys: [] }),
    fc.dictionary(fc.constantFrom(...fields, 'extra', '__proto__', 'constructor'), anyValue, { maxKeys: fields.length + 1 }),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

interface Target {
  name: string;
  request: fc.Arbitrary<InjectOptions & { token?: string }>;
}

const targets: Target[] = [
  {
    name: 'POST /v1/auth/token',
    request: fc.oneof(
      bodyWith(['grant_type', 'username', 'password', 'client_id', 'client_secret']).map((payload) => ({ method: 'POST' as const, url: '/v1/auth/token', payload: payload as object })),
      fc.record({ grant_type: fc.constantFrom('password', 'client_credentials'), username: anyString, password: anyString, client_id: anyString, client_secret: anyString }).map((payload) => ({ method: 'POST' as const, url: '/v1/auth/token', payload })),
      fc.string({ unit: 'binary', maxLength: 80 }).map((raw) => ({ method: 'POST' as const, url: '/v1/auth/token', payload: raw, headers: { 'content-type': 'application/json' } })),
      fc.string({ unit: 'binary', maxLength: 80 }).map((raw) => ({ method: 'POST' as const, url: '/v1/auth/token', payload: raw, headers: { 'content-type': 'application/x-www-form-urlencoded' } })),
    ),
  },
  {
    name: 'POST /v1/users as supervisor',
    request: fc.oneof(
      bodyWith(['username', 'password', 'role', 'institutionId', 'researcherId', 'checkpoint']),
      fc.record({
        username: fc.oneof(anyString, fc.stringMatching(/^[a-z0-9][a-z0-9._@-]{2,20}$/)),
        password: fc.oneof(anyString, fc.constant(TEST_PASSWORD)),
        role: fc.constantFrom('supervisor', 'officer', 'institution_admin', 'researcher', 'auditor'),
        checkpoint: anyString,
      }, { requiredKeys: ['username', 'password', 'role'] }),
    ).map((payload) => ({ method: 'POST' as const, url: '/v1/users', token: sup.token, payload: payload as object })),
  },
  {
    name: 'POST /v1/users as institution_admin',
    request: bodyWith(['username', 'password', 'role', 'researcherId', 'institutionId']).map((payload) => ({ method: 'POST' as const, url: '/v1/users', token: admin.token, payload: payload as object })),
  },
  {
    name: 'POST /v1/checkpoints',
    request: fc.oneof(
      bodyWith(['code', 'name', 'nameZh', 'hetaoLane']),
      fc.record({ code: fc.stringMatching(/^[A-Z][A-Z0-9_]{1,15}$/), name: anyString, nameZh: anyString }),
    ).map((payload) => ({ method: 'POST' as const, url: '/v1/checkpoints', token: sup.token, payload: payload as object })),
  },
  {
    name: 'POST /v1/institutions/{id}/api-clients',
    request: fc.record({ id: fc.oneof(fc.constant(inst.id), anyString), body: bodyWith(['name']) }).map(({ id, body }) => ({
      method: 'POST' as const,
      url: `/v1/institutions/${pct(id)}/api-clients`,
      token: admin.token,
      payload: body as object,
    })),
  },
  {
    name: 'GET and POST on /v1/users/{id} and api-client revoke with generated ids',
    request: fc.record({ id: anyString, clientId: anyString, which: fc.constantFrom('get', 'disable', 'enable', 'revoke') }).map(({ id, clientId, which }) =>
      which === 'get'
        ? { method: 'GET' as const, url: `/v1/users/${pct(id)}`, token: sup.token }
        : which === 'revoke'
          ? { method: 'POST' as const, url: `/v1/institutions/${inst.id}/api-clients/${pct(clientId)}/revoke`, token: admin.token }
          : { method: 'POST' as const, url: `/v1/users/${pct(id)}/${which}`, token: sup.token },
    ),
  },
  {
    name: 'list queries (users, checkpoints, audit-events, api-clients)',
    request: fc
      .record({
        path: fc.constantFrom('/v1/users', '/v1/checkpoints', '/v1/audit-events', `/v1/institutions/${inst.id}/api-clients`),
        params: fc.dictionary(fc.constantFrom('limit', 'cursor', 'role', 'action', 'subject', 'actor', 'from', 'to', 'other'), anyString, { maxKeys: 4 }),
      })
      .map(({ path, params }) => ({
        method: 'GET' as const,
        url: `${path}?${Object.entries(params).map(([k, v]) => `${k}=${pct(v)}`).join('&')}`,
        token: path.includes('api-clients') ? admin.token : sup.token,
      })),
  },
];

for (const target of targets) {
  t.test(`property: generated requests to ${target.name} never get a 5xx, and every error is problem+json`, async (t) => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(target.request, async (req) => {
        runs += 1;
        const res = await ctx.request(req);
        if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${JSON.stringify(req).slice(0, 400)}: ${res.body.slice(0, 200)}`);
        if (res.statusCode >= 400 && !/^application\/problem\+json/.test(String(res.headers['content-type']))) {
          throw new Error(`a ${res.statusCode} that is not problem+json: ${res.headers['content-type']}`);
        }
      }),
      { numRuns: 60 },
    );
    t.ok(runs >= 60, `${runs} generated requests`);
  });
}
