import t from 'tap';
import { buildTestApp } from '../../support/app.js';
import { insertItem, insertTraveller } from '../../support/travellers.js';

t.test('lookup, a CLEARED crossing that moves a laptop, a FLAGGED one, an inspection', async (t) => {
  const ctx = await buildTestApp(t, process.env.DEBUG_LOG ? { logger: { level: 'error' } } : {});
  const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
  const trav = await insertTraveller(ctx.db);
  const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', homeSide: 'HK' });

  const look = await ctx.request({
    method: 'POST',
    url: '/v1/clearance/lookup',
    token: officer.token,
    payload: { document: { kind: 'passport', number: trav.passport.toLowerCase() } },
  });
  t.equal(look.statusCode, 200, look.body);
  t.equal(look.json().researcher.id, trav.researcher.id);
  t.equal(look.json().items.length, 1);

  const cross = (key: string, direction = 'HK_TO_SZ') =>
    ctx.request({
      method: 'POST',
      url: '/v1/crossings',
      token: officer.token,
      headers: { 'idempotency-key': key },
      payload: {
        checkpoint: 'LMC',
        direction,
        traveller: { document: { kind: 'passport', number: trav.passport } },
        items: [{ serialNumber: laptop.serialNumber }],
      },
    });
  const first = await cross('k1');
  t.equal(first.statusCode, 201, first.body);
  t.equal(first.json().decision, 'CLEARED', first.body);
  const second = await cross('k2');
  t.equal(second.json().decision, 'FLAGGED');
  t.same(second.json().reasons.map((r: { code: string }) => r.code), ['ITEM_LOCATION_MISMATCH']);

  const insp = await ctx.request({
    method: 'POST',
    url: `/v1/crossings/${second.json().id}/inspection`,
    token: officer.token,
    payload: { outcome: 'DETAINED', notes: 'checked' },
  });
  t.equal(insp.statusCode, 201, insp.body);

  const hist = await ctx.request({ method: 'GET', url: `/v1/items/${laptop.id}/history`, token: officer.token });
  t.equal(hist.statusCode, 200, hist.body);
  t.equal(hist.json().entries.filter((e: { kind: string }) => e.kind === 'moved').length, 1);

  const sup = await ctx.caller('supervisor');
  const stats = await ctx.request({ method: 'GET', url: '/v1/reports/checkpoint-stats', token: sup.token });
  t.equal(stats.statusCode, 200, stats.body);
  t.equal(stats.json().rows[0].crossings, 2);
  const list = await ctx.request({ method: 'GET', url: '/v1/crossings', token: sup.token });
  t.equal(list.json().items.length, 2);
  const overdue = await ctx.request({ method: 'GET', url: '/v1/reports/overdue-returns', token: sup.token });
  t.equal(overdue.statusCode, 200, overdue.body);
});
