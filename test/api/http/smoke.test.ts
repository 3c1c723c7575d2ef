import t from 'tap';
import { buildTestApp } from '../../support/app.js';

t.test('a supervisor signs in and lists checkpoints', async (t) => {
  const ctx = await buildTestApp(t);
  const sup = await ctx.caller('supervisor');
  const res = await ctx.request({ method: 'GET', url: '/v1/checkpoints', token: sup.token });
  t.equal(res.statusCode, 200, res.body);
  const codes = res.json().items.map((c: { code: string }) => c.code);
  t.ok(codes.includes('FTB1'));
  t.equal(codes.length, 8);
});
