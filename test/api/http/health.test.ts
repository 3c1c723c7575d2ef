import t from 'tap';
import { buildApp } from '../../../src/app.js';
import { openDatabase } from '../../../src/db/client.js';
import { buildTestApp } from '../../support/app.js';
import { assertProblem } from '../../support/http-checks.js';

/**
 * Liveness answers while the process runs; readiness answers only while the
 * database does. When the database is gone, data routes say 503 (retry later),
 * not 500.
 */

t.test('live and ready answer 200 without a token', async (t) => {
  const ctx = await buildTestApp(t);
  const live = await ctx.request({ method: 'GET', url: '/health/live' });
  t.equal(live.statusCode, 200, live.body);
  t.same(live.json(), { status: 'ok' });
  const ready = await ctx.request({ method: 'GET', url: '/health/ready' });
  t.equal(ready.statusCode, 200, ready.body);
  t.same(ready.json(), { status: 'ready', database: ctx.testDb.source === 'pglite' ? 'pglite' : 'postgres' });
  t.equal(ready.headers['cache-control'], 'no-store', 'probes are never cached');
  const head = await ctx.request({ method: 'HEAD', url: '/health/live' });
  t.equal(head.statusCode, 200, 'HEAD works for probes too');
  const withGarbage = await ctx.request({ method: 'GET', url: '/health/ready', headers: { authorization: 'Bearer garbage' } });
  t.equal(withGarbage.statusCode, 200, 'a bad token does not matter to a public probe');
});

t.test('after the database is closed: ready is 503 problem+json, live stays 200', async (t) => {
  const ctx = await buildTestApp(t);
  const sup = await ctx.caller('supervisor');
  t.equal((await ctx.request({ method: 'GET', url: '/health/ready' })).statusCode, 200, 'ready before');
  await ctx.testDb.database.close();

  const ready = await ctx.request({ method: 'GET', url: '/health/ready' });
  assertProblem(t, ready, 503, 'SERVICE_UNAVAILABLE');
  t.ok(ready.headers['retry-after'], '503 says when to retry');
  const live = await ctx.request({ method: 'GET', url: '/health/live' });
  t.equal(live.statusCode, 200, 'the process is still alive');
  t.same(live.json(), { status: 'ok' });

  t.test('data routes over the closed database answer 503 SERVICE_UNAVAILABLE, not 500', async (t) => {
    const token = await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username: sup.username, password: 'whatever-it-is' } });
    assertProblem(t, token, 503, 'SERVICE_UNAVAILABLE');
    const list = await ctx.request({ method: 'GET', url: '/v1/checkpoints', token: sup.token });
    assertProblem(t, list, 503, 'SERVICE_UNAVAILABLE');
  });
});

t.test('with the database server unreachable: ready is 503 quickly, data routes are 503, live is 200', async (t) => {
  const ctx = await buildTestApp(t);
  const sup = await ctx.caller('supervisor');
  // Nothing listens on port 1: every connection attempt is refused.
  const database = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/unreachable', connectTimeoutMs: 500, poolMax: 2 });
  const app = await buildApp({ config: ctx.config, database }, { logger: false });
  t.teardown(async () => {
    await app.close();
    await database.close();
  });
  const started = Date.now();
  const ready = await app.inject({ method: 'GET', url: '/health/ready' });
  assertProblem(t, ready, 503, 'SERVICE_UNAVAILABLE');
  t.ok(Date.now() - started < 3000, 'readiness does not hang');
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
  const token = await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username: 'x', password: 'y' } });
  const p = assertProblem(t, token, 503, 'SERVICE_UNAVAILABLE');
  t.notMatch(p.detail, /127\.0\.0\.1|ECONNREFUSED|select/i, 'the address and SQL are not shown');
  const list = await app.inject({ method: 'GET', url: '/v1/checkpoints', headers: { authorization: `Bearer ${sup.token}` } });
  assertProblem(t, list, 503, 'SERVICE_UNAVAILABLE');
});
