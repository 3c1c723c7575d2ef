import t from 'tap';
import { insertInstitution } from '../../support/records.js';
import { registryApp } from '../../support/registry.js';

const body = (over: Record<string, unknown> = {}) => ({
  name: '  Hong Kong   University of Science and Technology ',
  nameZh: '香港科技大學',
  side: 'HK',
  kind: 'university',
  registrationNumber: 'br 12345678',
  ...over,
});

t.test('institutions', async (t) => {
  const ctx = await registryApp(t);
  const sup = await ctx.caller('supervisor');

  let id = '';
  let etag = '';

  await t.test('a supervisor registers an institution (normalised, ETag, Location, audited)', async (t) => {
    const res = await ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, payload: body() });
    t.equal(res.statusCode, 201, res.body);
    const inst = res.json();
    t.equal(inst.name, 'Hong Kong University of Science and Technology');
    t.equal(inst.registrationNumber, 'BR 12345678');
    t.equal(inst.status, 'active');
    t.equal(inst.statusReason, null);
    t.equal(res.headers.location, `/v1/institutions/${inst.id}`);
    t.equal(res.headers.etag, '"v1"');
    id = inst.id;
    etag = String(res.headers.etag);
    const audit = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=institution:${id}`, token: sup.token });
    t.same(audit.json().items.map((e: { action: string }) => e.action), ['institution.create']);
    t.equal(audit.json().items[0].data.after.name, inst.name);
  });

  await t.test('duplicate (side, registrationNumber) is a 409; the other side may reuse it', async (t) => {
    const dup = await ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, payload: body({ registrationNumber: 'BR 12345678' }) });
    t.equal(dup.statusCode, 409, dup.body);
    t.equal(dup.json().code, 'INSTITUTION_ALREADY_REGISTERED');
    t.equal(dup.json().errors[0].path, 'registrationNumber');
    t.match(dup.headers['content-type'], /application\/problem\+json/);
    const sz = await ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, payload: body({ side: 'SZ', name: 'Other' }) });
    t.equal(sz.statusCode, 201, sz.body);
  });

  await t.test('racing registrations of the same number: one wins, the others get the same 409', async (t) => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, payload: body({ registrationNumber: 'RACE-1' }) }),
      ),
    );
    t.same(results.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) t.equal(r.json().code, 'INSTITUTION_ALREADY_REGISTERED');
  });

  await t.test('Idempotency-Key: same key and body replays; same key, other body is a 409', async (t) => {
    const headers = { 'idempotency-key': 'inst-create-1' };
    const payload = body({ registrationNumber: 'IDEM-1' });
    const first = await ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, payload, headers });
    t.equal(first.statusCode, 201, first.body);
    const again = await ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, payload, headers });
    t.equal(again.statusCode, 201, again.body);
    t.equal(again.json().id, first.json().id);
    t.equal(again.headers['idempotent-replayed'], 'true');
    const other = await ctx.request({
      method: 'POST',
      url: '/v1/institutions',
      token: sup.token,
      payload: body({ registrationNumber: 'IDEM-2' }),
      headers,
    });
    t.equal(other.statusCode, 409, other.body);
    t.equal(other.json().code, 'IDEMPOTENCY_KEY_REUSED');
  });

  await t.test('validation: 422 naming each field; unknown fields refused by name', async (t) => {
    const res = await ctx.request({
      method: 'POST',
      url: '/v1/institutions',
      token: sup.token,
      payload: { name: '', side: 'XX', kind: 'castle', registrationNumber: '!!', status: 'suspended' },
    });
    t.equal(res.statusCode, 422, res.body);
    const paths = res.json().errors.map((e: { path: string }) => e.path).sort();
    t.same(paths, ['kind', 'name', 'registrationNumber', 'side', 'status']);
  });

  await t.test('read: ETag; PATCH needs If-Match (428), refuses a stale one (412), bumps the ETag', async (t) => {
    const got = await ctx.request({ method: 'GET', url: `/v1/institutions/${id}`, token: sup.token });
    t.equal(got.statusCode, 200);
    t.equal(got.headers.etag, etag);

    const none = await ctx.request({ method: 'PATCH', url: `/v1/institutions/${id}`, token: sup.token, payload: { kind: 'research_institute' } });
    t.equal(none.statusCode, 428, none.body);
    t.equal(none.json().code, 'PRECONDITION_REQUIRED');

    const ok = await ctx.request({
      method: 'PATCH',
      url: `/v1/institutions/${id}`,
      token: sup.token,
      payload: { kind: 'research_institute', nameZh: null },
      headers: { 'if-match': etag },
    });
    t.equal(ok.statusCode, 200, ok.body);
    t.equal(ok.json().kind, 'research_institute');
    t.equal(ok.json().nameZh, null);
    t.equal(ok.headers.etag, '"v2"');

    const stale = await ctx.request({
      method: 'PATCH',
      url: `/v1/institutions/${id}`,
      token: sup.token,
      payload: { name: 'Stale' },
      headers: { 'if-match': etag },
    });
    t.equal(stale.statusCode, 412, stale.body);
    etag = String(ok.headers.etag);

    const mass = await ctx.request({
      method: 'PATCH',
      url: `/v1/institutions/${id}`,
      token: sup.token,
      payload: { status: 'suspended', id: '0190b2a4-0000-7000-8000-000000000000' },
      headers: { 'if-match': etag },
    });
    t.equal(mass.statusCode, 422, mass.body);
    t.same(mass.json().errors.map((e: { path: string }) => e.path).sort(), ['id', 'status']);

    const dup = await ctx.request({
      method: 'PATCH',
      url: `/v1/institutions/${id}`,
      token: sup.token,
      payload: { registrationNumber: 'IDEM-1' },
      headers: { 'if-match': etag },
    });
    t.equal(dup.statusCode, 409, dup.body);
    t.equal(dup.json().code, 'INSTITUTION_ALREADY_REGISTERED');
  });

  await t.test('suspend and reinstate, each once: a second time is 409 INVALID_TRANSITION', async (t) => {
    const noReason = await ctx.request({ method: 'POST', url: `/v1/institutions/${id}/suspend`, token: sup.token, payload: {} });
    t.equal(noReason.statusCode, 422, noReason.body);
    t.equal(noReason.json().errors[0].path, 'reason');

    const reinstateActive = await ctx.request({ method: 'POST', url: `/v1/institutions/${id}/reinstate`, token: sup.token });
    t.equal(reinstateActive.statusCode, 409);
    t.equal(reinstateActive.json().code, 'INVALID_TRANSITION');

    const s = await ctx.request({ method: 'POST', url: `/v1/institutions/${id}/suspend`, token: sup.token, payload: { reason: 'licence lapsed' } });
    t.equal(s.statusCode, 200, s.body);
    t.equal(s.json().status, 'suspended');
    t.equal(s.json().statusReason, 'licence lapsed');
    t.equal(s.headers.etag, '"v3"');

    const again = await ctx.request({ method: 'POST', url: `/v1/institutions/${id}/suspend`, token: sup.token, payload: { reason: 'x' } });
    t.equal(again.statusCode, 409);
    t.equal(again.json().code, 'INVALID_TRANSITION');

    const staleIfMatch = await ctx.request({
      method: 'POST',
      url: `/v1/institutions/${id}/reinstate`,
      token: sup.token,
      headers: { 'if-match': '"v1"' },
    });
    t.equal(staleIfMatch.statusCode, 412);

    const r = await ctx.request({ method: 'POST', url: `/v1/institutions/${id}/reinstate`, token: sup.token });
    t.equal(r.statusCode, 200, r.body);
    t.equal(r.json().status, 'active');
    t.equal(r.json().statusReason, null);

    const audit = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=institution:${id}`, token: sup.token });
    t.same(
      audit.json().items.map((e: { action: string }) => e.action),
      ['institution.create', 'institution.update', 'institution.suspend', 'institution.reinstate'],
    );
    const suspendEvent = audit.json().items[2];
    t.equal(suspendEvent.data.before.status, 'active');
    t.equal(suspendEvent.data.after.status, 'suspended');
    t.equal(suspendEvent.data.reason, 'licence lapsed');
  });

  await t.test('a suspended institution cannot nominate (409 INSTITUTION_SUSPENDED)', async (t) => {
    const inst = await insertInstitution(ctx.db, { status: 'suspended' });
    const res = await ctx.request({
      method: 'POST',
      url: `/v1/institutions/${inst.id}/researchers`,
      token: sup.token,
      payload: {
        fullName: 'A B',
        dateOfBirth: '1990-01-01',
        nationality: 'HKG',
        email: 'a@b.hk',
        documents: [{ kind: 'hkid', number: 'A123456(3)', expiresOn: '2040-01-01' }],
      },
    });
    t.equal(res.statusCode, 409, res.body);
    t.equal(res.json().code, 'INSTITUTION_SUSPENDED');
  });

  await t.test('list: filters and cursor pagination; an admin lists only its own', async (t) => {
    for (let i = 0; i < 4; i++) await insertInstitution(ctx.db, { side: 'SZ', kind: 'enterprise' });
    const all: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/institutions?side=SZ&kind=enterprise&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await ctx.request({ method: 'GET', url, token: sup.token });
      t.equal(res.statusCode, 200, res.body);
      for (const i of res.json().items) {
        t.equal(i.side, 'SZ');
        t.equal(i.kind, 'enterprise');
        all.push(i.id);
      }
      cursor = res.json().nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    t.equal(all.length, 4);
    t.equal(new Set(all).size, 4);
    t.same([...all].sort(), all, 'ordered by id');

    const suspended = await ctx.request({ method: 'GET', url: '/v1/institutions?status=suspended', token: sup.token });
    t.ok(suspended.json().items.every((i: { status: string }) => i.status === 'suspended'));
    t.ok(suspended.json().items.length >= 1);

    const admin = await ctx.caller('institution_admin');
    const mine = await ctx.request({ method: 'GET', url: '/v1/institutions', token: admin.token });
    t.equal(mine.statusCode, 200);
    t.same(mine.json().items.map((i: { id: string }) => i.id), [admin.scope.institutionId]);
    const filteredOut = await ctx.request({ method: 'GET', url: '/v1/institutions?side=SZ', token: admin.token });
    t.same(filteredOut.json().items, [], 'its own institution is on the HK side');

    const badCursor = await ctx.request({ method: 'GET', url: '/v1/institutions?cursor=nope', token: sup.token });
    t.equal(badCursor.statusCode, 400);
  });

  await t.test('the OpenAPI document includes the institution and researcher routes', async (t) => {
    const res = await ctx.request({ method: 'GET', url: '/docs/json' });
    t.equal(res.statusCode, 200);
    const paths = Object.keys(res.json().paths);
    for (const p of [
      '/v1/institutions',
      '/v1/institutions/{id}',
      '/v1/institutions/{id}/suspend',
      '/v1/institutions/{id}/researchers',
      '/v1/institutions/{id}/researchers/import',
      '/v1/researchers/{id}',
      '/v1/researchers/{id}/approve',
      '/v1/researchers/{id}/documents',
      '/v1/researchers/{id}/documents/{documentId}',
    ]) {
      t.ok(paths.includes(p), p);
    }
  });
});
