import t from 'tap';
import type { InjectOptions } from 'fastify';
import { eq } from 'drizzle-orm';
import { identityDocuments, institutions, researchers } from '../../../src/db/schema.js';
import { uuidv7 } from '../../../src/lib/ids.js';
import { insertInstitution, insertResearcher } from '../../support/records.js';
import { registryApp, researcherBody, uniquePassport } from '../../support/registry.js';

/**
 * The scope matrix: every role × every institution and researcher route × an
 * object of the caller's own institution (or the researcher themself), a colleague,
 * and another institution's object. Outside its scope a caller gets the same 404
 * as for an object that does not exist; a role that never may gets 403.
 */

type CallerName = 'supervisor' | 'officer' | 'auditor' | 'admin' | 'client' | 'researcher';
type Target = 'own' | 'colleague' | 'other' | 'none';
const CALLERS: CallerName[] = ['supervisor', 'officer', 'auditor', 'admin', 'client', 'researcher'];

interface RouteCase {
  name: string;
  targets: Target[];
  /** Expected status per caller, either for every target or per target. */
  expect: Record<CallerName, number | Partial<Record<Target, number>>>;
  /** Builds the request against a fresh object in the state the route needs. */
  request(target: Target, caller: CallerName): Promise<InjectOptions>;
}

t.test('scope matrix', async (t) => {
  const ctx = await registryApp(t);
  const instA = await insertInstitution(ctx.db, { name: 'Institution A' });
  const instB = await insertInstitution(ctx.db, { name: 'Institution B', side: 'SZ' });

  async function freshResearcher(institutionId: string, status: 'nominated' | 'approved' | 'suspended' = 'nominated', docs = 1) {
    const r = await insertResearcher(ctx.db, {
      institutionId,
      status,
      ...(status !== 'nominated' ? { validFrom: '2020-01-01', validUntil: '2099-12-31' } : {}),
    });
    const documentIds: string[] = [];
    for (let i = 0; i < docs; i++) {
      const id = uuidv7();
      await ctx.db.insert(identityDocuments).values({
        id,
        researcherId: r.id,
        institutionId,
        status: status === 'nominated' ? 'pending' : 'approved',
        kind: 'passport',
        number: uniquePassport(),
        issuingCountry: 'GBR',
        countryKey: 'GBR',
        expiresOn: '2040-01-01',
      });
      documentIds.push(id);
    }
    return { ...r, documentIds };
  }

  const self = await freshResearcher(instA.id);
  const tokens: Record<CallerName, string> = {
    supervisor: (await ctx.caller('supervisor')).token,
    officer: (await ctx.caller('officer')).token,
    auditor: (await ctx.caller('auditor')).token,
    admin: (await ctx.caller('institution_admin', { institutionId: instA.id })).token,
    researcher: (await ctx.caller('researcher', { researcherId: self.id, institutionId: instA.id })).token,
    client: '',
  };
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${instA.id}/api-clients`, token: tokens.admin, payload: { name: 'hr-system' } });
  t.equal(created.statusCode, 201, created.body);
  const tokenRes = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'client_credentials', client_id: created.json().clientId, client_secret: created.json().clientSecret },
  });
  t.equal(tokenRes.statusCode, 200, tokenRes.body);
  tokens.client = tokenRes.json().access_token;

  const instOf = (target: Target) => (target === 'other' ? instB.id : instA.id);
  /** Institution-changing routes get a fresh institution when they would succeed, so A and B stay as they are. */
  const institutionFor = async (target: Target, caller: CallerName, status: 'active' | 'suspended' = 'active') =>
    caller === 'supervisor' ? (await insertInstitution(ctx.db, { status, side: target === 'other' ? 'SZ' : 'HK' })).id : instOf(target);
  /** The researcher a route acts on: the caller themself (own, for the researcher role), a colleague, or another institution's. */
  const researcherFor = async (target: Target, caller: CallerName, status?: 'nominated' | 'approved' | 'suspended', docs = 1) =>
    target === 'own' && caller === 'researcher' ? self : freshResearcher(instOf(target), status, docs);

  // The current ETag, as a client would have it from its last read (If-Match: * no longer stands in for it).
  const institutionEtag = async (id: string) => `"v${(await ctx.db.select({ v: institutions.version }).from(institutions).where(eq(institutions.id, id)))[0]!.v}"`;
  const researcherEtag = async (id: string) => `"v${(await ctx.db.select({ v: researchers.version }).from(researchers).where(eq(researchers.id, id)))[0]!.v}"`;

  const deny = (code: number) => ({ own: code, colleague: code, other: code, none: code });
  const scoped = (ok: number) => ({ own: ok, colleague: ok, other: 404 });
  const FORBIDDEN = 403;

  const routes: RouteCase[] = [
    {
      name: 'POST /v1/institutions',
      targets: ['none'],
      expect: { supervisor: 201, officer: FORBIDDEN, auditor: FORBIDDEN, admin: FORBIDDEN, client: FORBIDDEN, researcher: FORBIDDEN },
      request: async () => ({
        method: 'POST',
        url: '/v1/institutions',
        payload: { name: 'New Lab', side: 'SZ', kind: 'enterprise', registrationNumber: `91440300${uniquePassport().slice(1)}X` },
      }),
    },
    {
      name: 'GET /v1/institutions',
      targets: ['none'],
      expect: { supervisor: 200, officer: FORBIDDEN, auditor: FORBIDDEN, admin: 200, client: 200, researcher: FORBIDDEN },
      request: async () => ({ method: 'GET', url: '/v1/institutions' }),
    },
    {
      name: 'GET /v1/institutions/{id}',
      targets: ['own', 'other'],
      expect: { supervisor: 200, officer: FORBIDDEN, auditor: FORBIDDEN, admin: scoped(200), client: scoped(200), researcher: FORBIDDEN },
      request: async (target) => ({ method: 'GET', url: `/v1/institutions/${instOf(target)}` }),
    },
    {
      name: 'PATCH /v1/institutions/{id}',
      targets: ['own', 'other'],
      expect: { supervisor: 200, officer: FORBIDDEN, auditor: FORBIDDEN, admin: FORBIDDEN, client: FORBIDDEN, researcher: FORBIDDEN },
      request: async (target, caller) => {
        const id = await institutionFor(target, caller);
        return { method: 'PATCH', url: `/v1/institutions/${id}`, payload: { kind: 'hospital' }, headers: { 'if-match': await institutionEtag(id) } };
      },
    },
    {
      name: 'POST /v1/institutions/{id}/suspend',
      targets: ['own', 'other'],
      expect: { supervisor: 200, officer: FORBIDDEN, auditor: FORBIDDEN, admin: FORBIDDEN, client: FORBIDDEN, researcher: FORBIDDEN },
      request: async (target, caller) => ({
        method: 'POST',
        url: `/v1/institutions/${await institutionFor(target, caller)}/suspend`,
        payload: { reason: 'matrix' },
      }),
    },
    {
      name: 'POST /v1/institutions/{id}/reinstate',
      targets: ['own', 'other'],
      expect: { supervisor: 200, officer: FORBIDDEN, auditor: FORBIDDEN, admin: FORBIDDEN, client: FORBIDDEN, researcher: FORBIDDEN },
      request: async (target, caller) => ({
        method: 'POST',
        url: `/v1/institutions/${await institutionFor(target, caller, 'suspended')}/reinstate`,
      }),
    },
    {
      name: 'POST /v1/institutions/{id}/researchers',
      targets: ['own', 'other'],
      expect: { supervisor: 201, officer: FORBIDDEN, auditor: FORBIDDEN, admin: scoped(201), client: scoped(201), researcher: FORBIDDEN },
      request: async (target) => ({ method: 'POST', url: `/v1/institutions/${instOf(target)}/researchers`, payload: researcherBody() }),
    },
    {
      name: 'GET /v1/institutions/{id}/researchers',
      targets: ['own', 'other'],
      expect: { supervisor: 200, officer: FORBIDDEN, auditor: FORBIDDEN, admin: scoped(200), client: scoped(200), researcher: FORBIDDEN },
      request: async (target) => ({ method: 'GET', url: `/v1/institutions/${instOf(target)}/researchers?q=chan` }),
    },
    {
      name: 'POST /v1/institutions/{id}/researchers/import',
      targets: ['own', 'other'],
      expect: { supervisor: 201, officer: FORBIDDEN, auditor: FORBIDDEN, admin: scoped(201), client: scoped(201), researcher: FORBIDDEN },
      request: async (target) => ({ method: 'POST', url: `/v1/institutions/${instOf(target)}/researchers/import`, payload: [researcherBody()] as never }),
    },
    {
      name: 'GET /v1/researchers/{id}',
      targets: ['own', 'colleague', 'other'],
      expect: {
        supervisor: 200,
        officer: FORBIDDEN,
        auditor: FORBIDDEN,
        admin: scoped(200),
        client: scoped(200),
        researcher: { own: 200, colleague: 404, other: 404 },
      },
      request: async (target, caller) => ({ method: 'GET', url: `/v1/researchers/${(await researcherFor(target, caller)).id}` }),
    },
    {
      name: 'PATCH /v1/researchers/{id}',
      targets: ['own', 'colleague', 'other'],
      expect: {
        supervisor: 200,
        officer: FORBIDDEN,
        auditor: FORBIDDEN,
        admin: scoped(200),
        client: scoped(200),
        researcher: { own: 200, colleague: 404, other: 404 },
      },
      request: async (target, caller) => {
        const id = (await researcherFor(target, caller)).id;
        return { method: 'PATCH', url: `/v1/researchers/${id}`, payload: { email: `${uniquePassport().toLowerCase()}@lab.hk` }, headers: { 'if-match': await researcherEtag(id) } };
      },
    },
    ...(['approve', 'reject', 'reinstate', 'revoke'] as const).map(
      (action): RouteCase => ({
        name: `POST /v1/researchers/{id}/${action}`,
        targets: ['own', 'colleague', 'other'],
        expect: { supervisor: 200, officer: FORBIDDEN, auditor: FORBIDDEN, admin: FORBIDDEN, client: FORBIDDEN, researcher: FORBIDDEN },
        request: async (target, caller) => ({
          method: 'POST',
          url: `/v1/researchers/${(await researcherFor(target, caller, action === 'reinstate' ? 'suspended' : 'nominated')).id}/${action}`,
          ...(action === 'approve' ? { payload: { validUntil: '2099-01-01' } } : action === 'reinstate' ? {} : { payload: { reason: 'matrix' } }),
        }),
      }),
    ),
    {
      name: 'POST /v1/researchers/{id}/suspend',
      targets: ['own', 'colleague', 'other'],
      expect: { supervisor: 200, officer: FORBIDDEN, auditor: FORBIDDEN, admin: scoped(200), client: scoped(200), researcher: FORBIDDEN },
      request: async (target, caller) => ({
        method: 'POST',
        url: `/v1/researchers/${(await researcherFor(target, caller, 'approved')).id}/suspend`,
        payload: { reason: 'left' },
      }),
    },
    {
      name: 'POST /v1/researchers/{id}/documents',
      targets: ['own', 'colleague', 'other'],
      expect: { supervisor: 201, officer: FORBIDDEN, auditor: FORBIDDEN, admin: scoped(201), client: scoped(201), researcher: FORBIDDEN },
      request: async (target, caller) => ({
        method: 'POST',
        url: `/v1/researchers/${(await researcherFor(target, caller)).id}/documents`,
        payload: { kind: 'passport', number: uniquePassport(), issuingCountry: 'CAN', expiresOn: '2040-01-01' },
      }),
    },
    {
      name: 'DELETE /v1/researchers/{id}/documents/{documentId}',
      targets: ['own', 'colleague', 'other'],
      expect: { supervisor: 200, officer: FORBIDDEN, auditor: FORBIDDEN, admin: scoped(200), client: scoped(200), researcher: FORBIDDEN },
      request: async (target, caller) => {
        const r = target === 'own' && caller === 'researcher' ? await freshResearcher(instA.id, 'nominated', 2) : await freshResearcher(instOf(target), 'nominated', 2);
        return { method: 'DELETE', url: `/v1/researchers/${r.id}/documents/${r.documentIds[0]}` };
      },
    },
  ];

  let cases = 0;
  for (const route of routes) {
    await t.test(route.name, async (t) => {
      for (const caller of CALLERS) {
        for (const target of route.targets) {
          const spec = route.expect[caller];
          const expected = typeof spec === 'number' ? spec : (spec[target] ?? deny(FORBIDDEN)[target]);
          const req = await route.request(target, caller);
          const res = await ctx.request({ ...req, token: tokens[caller] });
          cases += 1;
          t.equal(res.statusCode, expected, `${caller} × ${target}: ${res.statusCode === expected ? '' : res.body}`);
          if (expected === 404) {
            t.equal(res.json().code, 'NOT_FOUND', `${caller} × ${target}: a plain 404`);
            t.notMatch(res.body, /Institution B|SMITH|CHAN|nominated|approved/, `${caller} × ${target}: nothing leaks`);
          }
          if (expected === 403) t.equal(res.json().code, 'FORBIDDEN');
        }
      }
    });
  }
  t.comment(`${cases} role × route × object cases`);

  await t.test("another institution's researcher: the same 404 as one that does not exist", async (t) => {
    const b = await freshResearcher(instB.id);
    const strip = (body: string) => {
      const { requestId: _r, instance: _i, ...rest } = JSON.parse(body);
      return rest;
    };
    const theirs = await ctx.request({ method: 'GET', url: `/v1/researchers/${b.id}`, token: tokens.admin });
    const nobody = await ctx.request({ method: 'GET', url: `/v1/researchers/${uuidv7()}`, token: tokens.admin });
    t.equal(theirs.statusCode, 404);
    t.same(strip(theirs.body), strip(nobody.body));
    const theirList = await ctx.request({ method: 'GET', url: `/v1/institutions/${instB.id}/researchers`, token: tokens.admin });
    const noList = await ctx.request({ method: 'GET', url: `/v1/institutions/${uuidv7()}/researchers`, token: tokens.admin });
    t.same(strip(theirList.body), strip(noList.body));
    const supNone = await ctx.request({ method: 'GET', url: `/v1/institutions/${uuidv7()}/researchers`, token: tokens.supervisor });
    t.equal(supNone.statusCode, 404);
  });

  await t.test("an admin's lists hold its own institution only", async (t) => {
    const mine = await ctx.request({ method: 'GET', url: `/v1/institutions/${instA.id}/researchers?limit=200`, token: tokens.admin });
    t.ok(mine.json().items.length > 0);
    t.ok(mine.json().items.every((r: { institutionId: string }) => r.institutionId === instA.id));
    const insts = await ctx.request({ method: 'GET', url: '/v1/institutions?limit=200', token: tokens.client });
    t.same(insts.json().items.map((i: { id: string }) => i.id), [instA.id]);
  });
});
