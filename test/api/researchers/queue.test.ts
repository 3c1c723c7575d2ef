import t from 'tap';
import { insertInstitution, insertResearcher } from '../../support/records.js';
import { registryApp } from '../../support/registry.js';

/**
 * The supervisor's queue: GET /v1/researchers across institutions (a supervisor),
 * the caller's own institution (an institution admin or its API client); every
 * other role is 403. Same items as GET /v1/institutions/{id}/researchers.
 */

interface Page {
  items: { id: string; institutionId: string; status: string; documents: unknown[]; score?: number }[];
  nextCursor: string | null;
}

const ctx = await registryApp(t);
const instA = await insertInstitution(ctx.db, { name: 'Queue A' });
const instB = await insertInstitution(ctx.db, { name: 'Queue B', side: 'SZ' });
const approvedWindow = { validFrom: '2020-01-01', validUntil: '2099-12-31' } as const;

const nominatedA = [
  await insertResearcher(ctx.db, { institutionId: instA.id, fullName: 'LEE SIU MING' }),
  await insertResearcher(ctx.db, { institutionId: instA.id, fullName: 'WONG KA YAN' }),
];
const nominatedB = [await insertResearcher(ctx.db, { institutionId: instB.id, fullName: 'ZHANG WEI', nameZh: '张伟' })];
const approvedA = await insertResearcher(ctx.db, { institutionId: instA.id, status: 'approved', ...approvedWindow });
const approvedB = await insertResearcher(ctx.db, { institutionId: instB.id, status: 'approved', ...approvedWindow });
const rejectedB = await insertResearcher(ctx.db, { institutionId: instB.id, status: 'rejected' });

const sup = await ctx.caller('supervisor');
const admin = await ctx.caller('institution_admin', { institutionId: instA.id });
const officer = await ctx.caller('officer');
const auditor = await ctx.caller('auditor');
const researcher = await ctx.caller('researcher', { institutionId: instA.id, researcherId: approvedA.id });

const get = (url: string, token: string) => ctx.request({ method: 'GET', url, token });
const idsOf = (p: Page) => p.items.map((r) => r.id).sort();
const sorted = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

t.test('a supervisor sees the nominated researchers of every institution in one list', async (t) => {
  const res = await get('/v1/researchers?status=nominated', sup.token);
  t.equal(res.statusCode, 200, res.body);
  const page = res.json<Page>();
  t.same(idsOf(page), sorted([...nominatedA, ...nominatedB]));
  t.same(new Set(page.items.map((r) => r.institutionId)), new Set([instA.id, instB.id]), 'two institutions');
  t.ok(page.items.every((r) => r.status === 'nominated' && Array.isArray(r.documents)));
  t.equal(page.nextCursor, null);
});

t.test('status filters (approved, rejected), institutionId narrows, no status lists everyone', async (t) => {
  t.same(idsOf((await get('/v1/researchers?status=approved', sup.token)).json()), sorted([approvedA, approvedB]));
  t.same(idsOf((await get('/v1/researchers?status=rejected', sup.token)).json()), [rejectedB.id]);
  t.same(
    idsOf((await get(`/v1/researchers?status=nominated&institutionId=${instB.id}`, sup.token)).json()),
    sorted(nominatedB),
  );
  t.same(
    idsOf((await get('/v1/researchers?limit=200', sup.token)).json()),
    sorted([...nominatedA, ...nominatedB, approvedA, approvedB, rejectedB]),
  );
  const bad = await get('/v1/researchers?status=pending', sup.token);
  t.equal(bad.statusCode, 422);
  t.equal(bad.json().errors[0].path, 'status');
});

t.test('q searches names across institutions, with a score', async (t) => {
  const res = await get(`/v1/researchers?q=${encodeURIComponent('张伟')}`, sup.token);
  t.equal(res.statusCode, 200, res.body);
  const page = res.json<Page>();
  t.same(page.items.map((r) => r.id), [nominatedB[0]!.id]);
  t.type(page.items[0]!.score, 'number');
});

t.test('an institution admin sees its own institution only', async (t) => {
  const own = await get('/v1/researchers?status=nominated', admin.token);
  t.equal(own.statusCode, 200, own.body);
  t.same(idsOf(own.json()), sorted(nominatedA));
  t.same(idsOf((await get(`/v1/researchers?status=nominated&institutionId=${instA.id}`, admin.token)).json()), sorted(nominatedA));
  const other = await get(`/v1/researchers?status=nominated&institutionId=${instB.id}`, admin.token);
  t.equal(other.statusCode, 404, 'another institution: the same 404 as one that does not exist');
  t.match(other.headers['content-type'], /application\/problem\+json/);
  const missing = await get(`/v1/researchers?institutionId=${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, sup.token);
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().code, other.json().code);
});

t.test("an institution's API client lists its own institution too", async (t) => {
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${instA.id}/api-clients`, token: admin.token, payload: { name: 'hr-queue' } });
  t.equal(created.statusCode, 201, created.body);
  const tokenRes = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'client_credentials', client_id: created.json().clientId, client_secret: created.json().clientSecret },
  });
  const res = await get('/v1/researchers?status=nominated', tokenRes.json().access_token);
  t.equal(res.statusCode, 200, res.body);
  t.same(idsOf(res.json()), sorted(nominatedA));
});

t.test('officers, auditors and researchers get 403; no token 401', async (t) => {
  for (const [name, token] of [['officer', officer.token], ['auditor', auditor.token], ['researcher', researcher.token]] as const) {
    const res = await get('/v1/researchers?status=nominated', token);
    t.equal(res.statusCode, 403, name);
  }
  t.equal((await ctx.request({ method: 'GET', url: '/v1/researchers' })).statusCode, 401);
});

t.test('pages with a cursor, no row twice, none lost', async (t) => {
  const all = sorted([...nominatedA, ...nominatedB, approvedA, approvedB, rejectedB]);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await get(`/v1/researchers?limit=2${cursor ? `&cursor=${cursor}` : ''}`, sup.token);
    t.equal(res.statusCode, 200, res.body);
    const page = res.json<Page>();
    t.ok(page.items.length <= 2);
    seen.push(...page.items.map((r) => r.id));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < 10);
  t.equal(pages, 3);
  t.same(seen, all, 'in id order, every researcher once');
  const forged = await get(`/v1/researchers?cursor=${Buffer.from('"x"').toString('base64url')}`, sup.token);
  t.equal(forged.statusCode, 400);
});
