import t from 'tap';
import type { Caller } from '../../support/app.js';
import { insertInstitution, insertResearcher } from '../../support/records.js';
import { buildWorld, createItem, dataBody, equipmentBody, errorPaths, problem, reagentBody, seedItem } from '../../support/item-world.js';

t.test('changing items', async (t) => {
  const w = await buildWorld(t);
  const { ctx, adminA, supervisor } = w;

  const get = (id: string, as: Caller = adminA) => ctx.request({ method: 'GET', url: `/v1/items/${id}`, token: as.token });
  const patch = (id: string, payload: object, ifMatch?: string, as: Caller = adminA) =>
    ctx.request({
      method: 'PATCH',
      url: `/v1/items/${id}`,
      token: as.token,
      payload,
      ...(ifMatch !== undefined ? { headers: { 'if-match': ifMatch } } : {}),
    });

  t.test('If-Match: 428 without, 412 when stale, ETag on every read and update', async (t) => {
    const id = (await createItem(w, adminA, w.instA, equipmentBody([w.rA]))).json().id;
    const read = await get(id);
    t.equal(read.headers.etag, '"v1"');

    const without = await patch(id, { name: 'Objective A' });
    t.equal(without.statusCode, 428);
    t.equal(problem(without).code, 'PRECONDITION_REQUIRED');
    const wrong = await patch(id, { name: 'Objective A' }, '"v9"');
    t.equal(wrong.statusCode, 412);
    t.equal(problem(wrong).code, 'PRECONDITION_FAILED');
    const garbage = await patch(id, { name: 'Objective A' }, 'v1');
    t.equal(garbage.statusCode, 412, 'an If-Match that is not one of our ETags is stale');

    const ok = await patch(id, { name: '  Objective A ', description: 'spare' }, read.headers.etag as string);
    t.equal(ok.statusCode, 200, ok.body);
    t.equal(ok.headers.etag, '"v2"');
    t.match(ok.json(), { name: 'Objective A', description: 'spare', status: 'endorsed' });
    t.equal((await get(id)).headers.etag, '"v2"');

    const stale = await patch(id, { name: 'Objective B' }, read.headers.etag as string);
    t.equal(stale.statusCode, 412, 'the first ETag is stale once the item changed');
    t.equal((await get(id)).json().name, 'Objective A');

    const cleared = await patch(id, { description: null }, '"v2"');
    t.equal(cleared.statusCode, 200);
    t.equal(cleared.json().description, null, 'null clears the description');

    const same = await patch(id, { name: 'Objective A' }, '"v3"');
    t.equal(same.statusCode, 200);
    t.equal(same.headers.etag, '"v3"', 'a change to the same values is no change: the version stays');

    // Strong comparison (issue 17): `*` and a weak tag do not stand in for the ETag.
    const star = await patch(id, { name: 'Objective C' }, '*');
    t.equal(star.statusCode, 412, 'If-Match: * does not skip the version check');
    const weak = await patch(id, { name: 'Objective C' }, 'W/"v3"');
    t.equal(weak.statusCode, 412, 'a weak ETag never matches');
  });

  t.test('two updates from the same read racing each other: one wins, the other is a 412', async (t) => {
    const id = (await createItem(w, adminA, w.instA, reagentBody([w.rA]))).json().id;
    const results = await Promise.all([
      patch(id, { name: 'first' }, '"v1"'),
      patch(id, { name: 'second' }, '"v1"', supervisor),
      patch(id, { custodianIds: [w.rA3] }, '"v1"'),
    ]);
    t.same(results.map((r) => r.statusCode).sort(), [200, 412, 412]);
    const read = await get(id);
    t.equal(read.headers.etag, '"v2"', 'exactly one change was made');
  });

  t.test('mass assignment is refused: every field but name, description and custodianIds is a 422 naming it', async (t) => {
    const id = (await createItem(w, adminA, w.instA, reagentBody([w.rA]))).json().id;
    const fields: [string, unknown][] = [
      ['status', 'approved'],
      ['statusReason', 'because'],
      ['validUntil', '2099-12-31'],
      ['category', 'equipment'],
      ['institutionId', w.instB],
      ['homeSide', 'HK'],
      ['currentSide', 'HK'],
      ['returnBy', '2026-01-01T00:00:00Z'],
      ['quantity', 1e6],
      ['remainingQuantity', 1e6],
      ['casNumber', '7732-18-5'],
      ['serialNumber', 'X'],
      ['sha256', 'a'.repeat(64)],
      ['id', '0190f3a2-0000-7000-8000-000000000000'],
      ['version', 99],
      ['submittedBy', w.rA],
      ['createdAt', '2020-01-01T00:00:00Z'],
      ['isAdmin', true],
    ];
    for (const [field, value] of fields) {
      for (const as of [adminA, supervisor]) {
        const res = await patch(id, { name: 'still fine', [field]: value }, '"v1"', as);
        t.equal(res.statusCode, 422, `${as.role} ${field}`);
        t.same(errorPaths(res), [field], `${as.role} ${field}: names the field`);
      }
    }
    const status = problem(await patch(id, { status: 'approved' }, '"v1"'));
    t.match(status.errors![0]!.message, /workflow/, 'status points to the workflow actions');
    const after = (await get(id)).json();
    t.match(after, { name: 'Ethanol, absolute', status: 'endorsed', quantity: 500, homeSide: 'SZ' }, 'nothing changed');
    t.equal((await get(id)).headers.etag, '"v1"');
  });

  t.test('custodians are replaced by the institution, under the same rules as at registration', async (t) => {
    const id = (await createItem(w, adminA, w.instA, dataBody([w.rA]))).json().id;
    const res = await patch(id, { custodianIds: [w.rA3, w.rA2] }, '"v1"');
    t.equal(res.statusCode, 200, res.body);
    t.same(res.json().custodianIds, [w.rA2, w.rA3].sort());
    t.equal((await get(id, w.researcherA2)).statusCode, 200, 'a new custodian sees it');
    t.equal((await get(id, w.researcherA)).statusCode, 404, 'a former custodian no longer does');

    const suspended = (await insertResearcher(ctx.db, { institutionId: w.instA, status: 'suspended' })).id;
    for (const [name, ids, path] of [
      ['other institution', [w.rA2, w.rB], 'custodianIds.1'],
      ['suspended', [suspended], 'custodianIds.0'],
      ['duplicate', [w.rA2, w.rA2], 'custodianIds.1'],
      ['empty', [], 'custodianIds'],
    ] as const) {
      const bad = await patch(id, { custodianIds: [...ids] }, '"v2"');
      t.equal(bad.statusCode, 422, name);
      t.ok(errorPaths(bad).includes(path), `${name}: names ${path}`);
    }
    const bySupervisor = await patch(id, { custodianIds: [w.rA] }, '"v2"', supervisor);
    t.equal(bySupervisor.statusCode, 200);
    t.same(bySupervisor.json().custodianIds, [w.rA]);

    const events = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=item:${id}&action=item.update`, token: w.auditor.token });
    const items: { actor: string; data: { before: Record<string, unknown>; after: Record<string, unknown> } }[] = events.json().items;
    t.equal(items.length, 2, 'one audit event per update');
    t.same(items[0]!.data.before, { custodianIds: [w.rA] });
    t.same(items[0]!.data.after, { custodianIds: [w.rA2, w.rA3].sort() });
    t.equal(items[1]!.actor, supervisor.userId);
  });

  t.test('a researcher changes only the name and description of an item they submitted, while submitted', async (t) => {
    const own = (await createItem(w, w.researcherA, w.instA, equipmentBody(undefined))).json().id;
    const renamed = await patch(own, { name: 'My laptop', description: 'ThinkPad X1' }, '"v1"', w.researcherA);
    t.equal(renamed.statusCode, 200, renamed.body);
    t.match(renamed.json(), { name: 'My laptop', status: 'submitted' });

    const custody = await patch(own, { custodianIds: [w.rA, w.rA3] }, '"v2"', w.researcherA);
    t.equal(custody.statusCode, 403, 'custodians are the institution’s call');
    const status = await patch(own, { status: 'endorsed' }, '"v2"', w.researcherA);
    t.equal(status.statusCode, 422, 'and status is nobody’s through PATCH');

    const shared = await seedItem(w, w.instA, [w.rA], 'submitted', { submittedBy: w.rA3 });
    const notMine = await patch(shared, { name: 'x' }, '"v1"', w.researcherA);
    t.equal(notMine.statusCode, 403, 'a custodian who did not submit it cannot change it');

    t.equal((await ctx.request({ method: 'POST', url: `/v1/items/${own}/endorse`, token: adminA.token })).statusCode, 200);
    const late = await patch(own, { name: 'again' }, '"v3"', w.researcherA);
    t.equal(late.statusCode, 403, 'once endorsed it is the institution’s');
    t.equal((await patch(own, { name: 'Laptop (endorsed)' }, '"v3"')).statusCode, 200, 'the institution still can');
  });

  t.test('list filters and pagination', async (t) => {
    const inst = (await insertInstitution(ctx.db)).id;
    const r1 = (await insertResearcher(ctx.db, { institutionId: inst, status: 'approved' })).id;
    const r2 = (await insertResearcher(ctx.db, { institutionId: inst, status: 'approved' })).id;
    const made: { id: string; category: string }[] = [];
    for (const body of [
      equipmentBody([r1], { serialNumber: 'FILTER-SN-1' }),
      equipmentBody([r2], { serialNumber: 'FILTER-SN-2' }),
      reagentBody([r1]),
      dataBody([r1, r2]),
      reagentBody([r2]),
    ]) {
      const res = await createItem(w, supervisor, inst, body);
      t.equal(res.statusCode, 201);
      made.push(res.json());
    }
    const query = async (q: string) => {
      const res = await ctx.request({ method: 'GET', url: `/v1/items?institutionId=${inst}&${q}`, token: w.officer.token });
      t.equal(res.statusCode, 200, `${q}: ${res.body.slice(0, 200)}`);
      return res.json() as { items: { id: string }[]; nextCursor: string | null };
    };
    t.same((await query('serialNumber=%20filter-sn-1')).items.map((i) => i.id), [made[0]!.id], 'serial compared normalised');
    t.same((await query('category=reagent')).items.map((i) => i.id), [made[2]!.id, made[4]!.id]);
    t.same((await query(`custodianId=${r2}`)).items.map((i) => i.id), [made[1]!.id, made[3]!.id, made[4]!.id]);
    t.same((await query('status=approved')).items, []);
    await ctx.request({ method: 'POST', url: `/v1/items/${made[3]!.id}/approve`, token: supervisor.token, payload: { validUntil: '2099-01-01' } });
    t.same((await query('status=approved')).items.map((i) => i.id), [made[3]!.id]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await query(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      t.ok(page.items.length <= 2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    t.equal(pages, 3);
    t.same(seen, made.map((m) => m.id), 'every item once, in creation order');

    for (const q of ['status=flying', 'category=weapon', 'limit=0', 'limit=201', 'institutionId=nope']) {
      const res = await ctx.request({ method: 'GET', url: `/v1/items?${q}`, token: supervisor.token });
      t.equal(res.statusCode, 422, q);
    }
    const badCursor = await ctx.request({ method: 'GET', url: '/v1/items?cursor=%%%', token: supervisor.token });
    t.equal(badCursor.statusCode, 400);
    t.equal(problem(badCursor).code, 'INVALID_CURSOR');
  });

  t.test('the OpenAPI document describes the item routes', async (t) => {
    const res = await ctx.request({ method: 'GET', url: '/docs/json' });
    t.equal(res.statusCode, 200);
    const doc = res.json();
    for (const path of [
      '/v1/institutions/{id}/items',
      '/v1/items',
      '/v1/items/{id}',
      '/v1/items/{id}/endorse',
      '/v1/items/{id}/approve',
      '/v1/items/{id}/reject',
      '/v1/items/{id}/suspend',
      '/v1/items/{id}/reinstate',
      '/v1/items/{id}/revoke',
    ]) {
      t.ok(doc.paths[path], path);
    }
    t.ok(doc.components.schemas.Item, 'the Item schema is a component');
  });
});
