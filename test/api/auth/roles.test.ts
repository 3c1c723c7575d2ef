import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import t from 'tap';
import { apiClients, type Role, users } from '../../../src/db/schema.js';
import { buildTestApp, type Caller, TEST_PASSWORD } from '../../support/app.js';
import { insertInstitution, insertResearcher } from '../../support/records.js';
import { assertProblem } from '../../support/http-checks.js';
import { decodeJwt } from '../../support/jwt.js';

/**
 * Who may call what: every role (and no token) × every route of the foundation
 * modules, then object scope (an institution admin is confined to its own
 * institution) and the scope each role needs when its account is created.
 */

const ctx = await buildTestApp(t);
const instA = await insertInstitution(ctx.db, { name: 'Institution A' });
const instB = await insertInstitution(ctx.db, { name: 'Institution B' });
const researcherOfA = await insertResearcher(ctx.db, { institutionId: instA.id });

const ROLES: Role[] = ['supervisor', 'officer', 'institution_admin', 'researcher', 'auditor'];
type Who = Role | 'none';
const callers = {
  supervisor: await ctx.caller('supervisor'),
  officer: await ctx.caller('officer'),
  institution_admin: await ctx.caller('institution_admin', { institutionId: instA.id }),
  researcher: await ctx.caller('researcher', { researcherId: researcherOfA.id, institutionId: instA.id }),
  auditor: await ctx.caller('auditor'),
} satisfies Record<Role, Caller>;
const sup = callers.supervisor;

const uniq = () => randomBytes(4).toString('hex');

/** A fresh account to act on, so that disabling it harms no caller. */
async function victim(): Promise<string> {
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/users',
    token: sup.token,
    payload: { username: `victim-${uniq()}`, password: TEST_PASSWORD, role: 'auditor' },
  });
  if (res.statusCode !== 201) throw new Error(`victim: ${res.statusCode} ${res.body}`);
  return res.json<{ id: string }>().id;
}

async function clientOfA(): Promise<string> {
  const res = await ctx.request({ method: 'POST', url: `/v1/institutions/${instA.id}/api-clients`, token: sup.token, payload: { name: `c-${uniq()}` } });
  if (res.statusCode !== 201) throw new Error(`client: ${res.statusCode} ${res.body}`);
  return res.json<{ clientId: string }>().clientId;
}

interface RouteCase {
  route: string;
  /** Statuses of the roles allowed; every other role gets 403 and no token 401. */
  allowed: Partial<Record<Role, number>>;
  make: () => Promise<InjectOptions>;
}

const everyone = (status: number) => Object.fromEntries(ROLES.map((r) => [r, status])) as Record<Role, number>;

const matrix: RouteCase[] = [
  { route: 'GET /v1/me', allowed: everyone(200), make: async () => ({ method: 'GET', url: '/v1/me' }) },
  {
    route: 'POST /v1/users',
    allowed: { supervisor: 201, institution_admin: 201 },
    make: async () => {
      const r = await insertResearcher(ctx.db, { institutionId: instA.id });
      return {
        method: 'POST',
        url: '/v1/users',
        payload: { username: `r-${uniq()}`, password: TEST_PASSWORD, role: 'researcher', researcherId: r.id },
      };
    },
  },
  { route: 'GET /v1/users', allowed: { supervisor: 200 }, make: async () => ({ method: 'GET', url: '/v1/users' }) },
  { route: 'GET /v1/users/{id}', allowed: { supervisor: 200 }, make: async () => ({ method: 'GET', url: `/v1/users/${callers.officer.userId}` }) },
  { route: 'POST /v1/users/{id}/disable', allowed: { supervisor: 200 }, make: async () => ({ method: 'POST', url: `/v1/users/${await victim()}/disable` }) },
  { route: 'POST /v1/users/{id}/enable', allowed: { supervisor: 200 }, make: async () => ({ method: 'POST', url: `/v1/users/${await victim()}/enable` }) },
  {
    route: 'POST /v1/institutions/{id}/api-clients',
    allowed: { supervisor: 201, institution_admin: 201 },
    make: async () => ({ method: 'POST', url: `/v1/institutions/${instA.id}/api-clients`, payload: { name: `m-${uniq()}` } }),
  },
  {
    route: 'GET /v1/institutions/{id}/api-clients',
    allowed: { supervisor: 200, institution_admin: 200 },
    make: async () => ({ method: 'GET', url: `/v1/institutions/${instA.id}/api-clients` }),
  },
  {
    route: 'POST /v1/institutions/{id}/api-clients/{clientId}/revoke',
    allowed: { supervisor: 200, institution_admin: 200 },
    make: async () => ({ method: 'POST', url: `/v1/institutions/${instA.id}/api-clients/${await clientOfA()}/revoke` }),
  },
  { route: 'GET /v1/checkpoints', allowed: everyone(200), make: async () => ({ method: 'GET', url: '/v1/checkpoints' }) },
  {
    route: 'POST /v1/checkpoints',
    allowed: { supervisor: 201 },
    make: async () => ({
      method: 'POST',
      url: '/v1/checkpoints',
      payload: { code: `M${uniq().toUpperCase()}`, name: 'Matrix checkpoint', nameZh: '矩阵口岸' },
    }),
  },
  { route: 'GET /v1/audit-events', allowed: { supervisor: 200, auditor: 200 }, make: async () => ({ method: 'GET', url: '/v1/audit-events' }) },
  { route: 'GET /v1/audit-events/verify', allowed: { supervisor: 200, auditor: 200 }, make: async () => ({ method: 'GET', url: '/v1/audit-events/verify' }) },
];

for (const rc of matrix) {
  t.test(`role matrix: ${rc.route}`, async (t) => {
    for (const who of [...ROLES, 'none'] as Who[]) {
      const expected = who === 'none' ? 401 : (rc.allowed[who] ?? 403);
      const opts = await rc.make();
      const headers = { ...((opts.headers as Record<string, string> | undefined) ?? {}) };
      if (who !== 'none') headers.authorization = `Bearer ${callers[who].token}`;
      const res = await ctx.app.inject({ ...opts, headers });
      t.equal(res.statusCode, expected, `${rc.route} as ${who} → ${expected} (${res.body.slice(0, 200)})`);
      if (expected === 403) assertProblem(t, res, 403, 'FORBIDDEN');
      if (expected === 401) {
        assertProblem(t, res, 401);
        t.equal(res.headers['www-authenticate'], 'Bearer', `${rc.route} without a token asks for Bearer`);
      }
    }
  });
}

t.test('a refused role changes nothing: an officer POST /v1/checkpoints creates no checkpoint and no audit event', async (t) => {
  const code = `NO${uniq().toUpperCase()}`;
  const res = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: callers.officer.token, payload: { code, name: 'x', nameZh: 'x' } });
  assertProblem(t, res, 403, 'FORBIDDEN');
  const list = await ctx.request({ method: 'GET', url: '/v1/checkpoints?limit=200', token: sup.token });
  t.notOk(list.json<{ items: { code: string }[] }>().items.some((c) => c.code === code));
  const audit = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=checkpoint:${code}`, token: sup.token });
  t.same(audit.json().items, []);
});

// ---- object scope ---------------------------------------------------------------

t.test("an institution_admin of A gets 404 on B's api-clients (list, create, revoke) and B's client keeps working", async (t) => {
  const adminA = callers.institution_admin;
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${instB.id}/api-clients`, token: sup.token, payload: { name: 'B system' } });
  t.equal(created.statusCode, 201, created.body);
  const clientB = created.json<{ clientId: string; clientSecret: string }>();

  assertProblem(t, await ctx.request({ method: 'GET', url: `/v1/institutions/${instB.id}/api-clients`, token: adminA.token }), 404, 'NOT_FOUND');
  assertProblem(
    t,
    await ctx.request({ method: 'POST', url: `/v1/institutions/${instB.id}/api-clients`, token: adminA.token, payload: { name: 'sneaky' } }),
    404,
    'NOT_FOUND',
  );
  assertProblem(
    t,
    await ctx.request({ method: 'POST', url: `/v1/institutions/${instB.id}/api-clients/${clientB.clientId}/revoke`, token: adminA.token }),
    404,
    'NOT_FOUND',
  );
  // B's client revoked through A's own path: not found either (the client is looked up within the institution).
  assertProblem(
    t,
    await ctx.request({ method: 'POST', url: `/v1/institutions/${instA.id}/api-clients/${clientB.clientId}/revoke`, token: adminA.token }),
    404,
    'NOT_FOUND',
  );
  const [row] = await ctx.db.select().from(apiClients).where(eq(apiClients.clientId, clientB.clientId));
  t.equal(row!.revokedAt, null, "B's client is not revoked");
  const rows = await ctx.db.select().from(apiClients).where(eq(apiClients.institutionId, instB.id));
  t.equal(rows.length, 1, 'no client was created for B');
  const grant = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'client_credentials', client_id: clientB.clientId, client_secret: clientB.clientSecret },
  });
  t.equal(grant.statusCode, 200, "B's client still signs in");
});

t.test('the 404 for another institution is the same as for an institution that does not exist', async (t) => {
  const adminA = callers.institution_admin;
  const other = await ctx.request({ method: 'GET', url: `/v1/institutions/${instB.id}/api-clients`, token: adminA.token });
  const missing = await ctx.request({ method: 'GET', url: '/v1/institutions/01900000-0000-7000-8000-0000000000ff/api-clients', token: sup.token });
  const a = assertProblem(t, other, 404, 'NOT_FOUND');
  const b = assertProblem(t, missing, 404, 'NOT_FOUND');
  t.equal(a.detail, b.detail, 'same detail: nothing tells "not yours" from "does not exist"');
});

t.test('an institution_admin creates a researcher account for its own researcher; the token carries the scope', async (t) => {
  const r = await insertResearcher(ctx.db, { institutionId: instA.id });
  const username = `own-${uniq()}`;
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/users',
    token: callers.institution_admin.token,
    payload: { username, password: TEST_PASSWORD, role: 'researcher', researcherId: r.id },
  });
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), { username, role: 'researcher', researcherId: r.id, institutionId: instA.id, status: 'active' });
  t.notOk('password' in res.json() || 'passwordHash' in res.json(), 'no password in the answer');
  t.equal(res.headers.location, `/v1/users/${res.json().id}`);
  const claims = decodeJwt(await ctx.login(username)).payload;
  t.match(claims, { role: 'researcher', researcherId: r.id, institutionId: instA.id });
});

t.test("an institution_admin creating a researcher account for another institution's researcher gets 404 and creates nothing", async (t) => {
  const rB = await insertResearcher(ctx.db, { institutionId: instB.id });
  const username = `cross-${uniq()}`;
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/users',
    token: callers.institution_admin.token,
    payload: { username, password: TEST_PASSWORD, role: 'researcher', researcherId: rB.id },
  });
  assertProblem(t, res, 404, 'NOT_FOUND');
  const rows = await ctx.db.select().from(users).where(eq(users.username, username));
  t.equal(rows.length, 0, 'no account was created');

  const missing = await ctx.request({
    method: 'POST',
    url: '/v1/users',
    token: callers.institution_admin.token,
    payload: { username, password: TEST_PASSWORD, role: 'researcher', researcherId: '01900000-0000-7000-8000-0000000000aa' },
  });
  const m = assertProblem(t, missing, 404, 'NOT_FOUND');
  t.equal(m.detail, res.json().detail, 'the same 404 as for a researcher that does not exist');
});

for (const role of ['supervisor', 'officer', 'institution_admin', 'auditor'] as const) {
  t.test(`an institution_admin creating an account of role ${role} gets 403 and creates nothing`, async (t) => {
    const username = `esc-${role.replace('_', '-')}-${uniq()}`;
    const scope =
      role === 'officer' ? { checkpoint: 'LMC' } : role === 'institution_admin' ? { institutionId: instA.id } : {};
    const res = await ctx.request({
      method: 'POST',
      url: '/v1/users',
      token: callers.institution_admin.token,
      payload: { username, password: TEST_PASSWORD, role, ...scope },
    });
    assertProblem(t, res, 403, 'FORBIDDEN');
    t.equal((await ctx.db.select().from(users).where(eq(users.username, username))).length, 0, 'no account was created');
  });
}

const scopeCases: Array<{ name: string; payload: Record<string, unknown>; field: string }> = [
  { name: 'an officer without checkpoint', payload: { role: 'officer' }, field: 'checkpoint' },
  { name: 'an officer at a checkpoint that does not exist', payload: { role: 'officer', checkpoint: 'NOPE' }, field: 'checkpoint' },
  { name: 'an institution_admin without institutionId', payload: { role: 'institution_admin' }, field: 'institutionId' },
  {
    name: 'an institution_admin of an institution that does not exist',
    payload: { role: 'institution_admin', institutionId: '01900000-0000-7000-8000-0000000000bb' },
    field: 'institutionId',
  },
  { name: 'a researcher without researcherId', payload: { role: 'researcher' }, field: 'researcherId' },
  { name: 'an auditor given a checkpoint (a scope its role does not take)', payload: { role: 'auditor', checkpoint: 'LMC' }, field: 'checkpoint' },
  { name: 'an officer given an institutionId too', payload: { role: 'officer', checkpoint: 'LMC', institutionId: instA.id }, field: 'institutionId' },
  { name: 'an unknown role', payload: { role: 'admin' }, field: 'role' },
];

for (const c of scopeCases) {
  t.test(`a supervisor creating ${c.name} gets 422 naming ${c.field}`, async (t) => {
    const username = `scope-${uniq()}`;
    const res = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: { username, password: TEST_PASSWORD, ...c.payload } });
    const problem = assertProblem(t, res, 422, 'VALIDATION_FAILED');
    t.ok(problem.errors?.some((e) => e.path === c.field), `errors name ${c.field}: ${JSON.stringify(problem.errors)}`);
    t.equal((await ctx.db.select().from(users).where(eq(users.username, username))).length, 0, 'no account was created');
  });
}

t.test('a supervisor creates an officer at a checkpoint; the token carries it', async (t) => {
  const username = `officer-${uniq()}`;
  const res = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: { username, password: TEST_PASSWORD, role: 'officer', checkpoint: 'SZB' } });
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), { role: 'officer', checkpoint: 'SZB', institutionId: null, researcherId: null });
  t.equal(decodeJwt(await ctx.login(username)).payload.checkpoint, 'SZB');
});

t.test('unknown account ids are 404 for read, disable and enable; a malformed id is 422', async (t) => {
  const missing = '01900000-0000-7000-8000-0000000000cc';
  assertProblem(t, await ctx.request({ method: 'GET', url: `/v1/users/${missing}`, token: sup.token }), 404, 'NOT_FOUND');
  assertProblem(t, await ctx.request({ method: 'POST', url: `/v1/users/${missing}/disable`, token: sup.token }), 404, 'NOT_FOUND');
  assertProblem(t, await ctx.request({ method: 'POST', url: `/v1/users/${missing}/enable`, token: sup.token }), 404, 'NOT_FOUND');
  const bad = assertProblem(t, await ctx.request({ method: 'GET', url: '/v1/users/not-a-uuid', token: sup.token }), 422, 'VALIDATION_FAILED');
  t.ok(bad.errors?.some((e) => e.path === 'id'), 'names id');
});

t.test('GET /v1/users filters by role, pages with a cursor and never shows password hashes', async (t) => {
  const res = await ctx.request({ method: 'GET', url: '/v1/users?role=officer&limit=1', token: sup.token });
  t.equal(res.statusCode, 200, res.body);
  const page = res.json<{ items: Array<Record<string, unknown>>; nextCursor: string | null }>();
  t.equal(page.items.length, 1);
  t.equal(page.items[0]!.role, 'officer');
  t.notOk('passwordHash' in page.items[0]!, 'no hash');
  t.notOk(res.body.includes('$argon2'), 'no argon2 string anywhere');
  t.type(page.nextCursor, 'string', 'more officers exist: a cursor is given');
  const next = await ctx.request({ method: 'GET', url: `/v1/users?role=officer&limit=1&cursor=${page.nextCursor}`, token: sup.token });
  t.equal(next.statusCode, 200, next.body);
  t.not(next.json().items[0]?.id, page.items[0]!.id, 'the next page moves on');
  assertProblem(t, await ctx.request({ method: 'GET', url: '/v1/users?cursor=%%%', token: sup.token }), 400, 'INVALID_CURSOR');
});
