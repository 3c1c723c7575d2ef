// Server-Timing (SERVER_TIMING=true): every answer says how long it took inside the
// service, and a lookup adds its statement (its read and its audit event, committed). Off by
// default: then no answer carries the header.
import t from 'tap';
import { parseServerTiming } from '../../../src/http/server-timing.js';
import { buildTestApp, testConfig } from '../../support/app.js';
import { insertTraveller } from '../../support/travellers.js';

t.test('parseServerTiming reads the durations and skips what has none', async (t) => {
  t.same(parseServerTiming('app;dur=1.25, read;dur=0.40,audit;desc="commit";dur=2'), { app: 1.25, read: 0.4, audit: 2 });
  t.same(parseServerTiming('cache;desc=hit, app;dur=abc, db;dur=3'), { db: 3 });
  t.same(parseServerTiming(''), {});
});

t.test('the setting: off unless SERVER_TIMING is true or 1; anything else is refused', async (t) => {
  t.equal(testConfig().http.serverTiming, false);
  t.equal(testConfig({ SERVER_TIMING: 'true' }).http.serverTiming, true);
  t.equal(testConfig({ SERVER_TIMING: '1' }).http.serverTiming, true);
  t.equal(testConfig({ SERVER_TIMING: 'false' }).http.serverTiming, false);
  t.throws(() => testConfig({ SERVER_TIMING: 'yes' }), /SERVER_TIMING/);
});

t.test('off (the default): no answer carries Server-Timing', async (t) => {
  const ctx = await buildTestApp(t);
  const traveller = await insertTraveller(ctx.db, { passportCountry: 'CHN' });
  const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
  const found = await ctx.request({ method: 'POST', url: '/v1/clearance/lookup', token: officer.token, payload: { document: { kind: 'passport', number: traveller.passport } } });
  t.equal(found.statusCode, 200);
  t.equal(found.headers['server-timing'], undefined, 'lookup');
  const health = await ctx.request({ method: 'GET', url: '/health/live' });
  t.equal(health.headers['server-timing'], undefined, 'health');
});

t.test('on: the lookup says how long its statement took, inside the whole', async (t) => {
  const ctx = await buildTestApp(t, { env: { SERVER_TIMING: 'true' } });
  const traveller = await insertTraveller(ctx.db, { passportCountry: 'CHN' });
  const officer = await ctx.caller('officer', { checkpoint: 'LMC' });

  const found = await ctx.request({ method: 'POST', url: '/v1/clearance/lookup', token: officer.token, payload: { document: { kind: 'passport', number: traveller.passport } } });
  t.equal(found.statusCode, 200);
  const header = found.headers['server-timing'];
  t.type(header, 'string', 'the lookup carries Server-Timing');
  t.match(String(header), /^app;dur=\d+\.\d{2}, db;dur=\d+\.\d{2}$/, 'app and db, in ms');
  const found_ = parseServerTiming(String(header));
  t.ok(found_.db! > 0, 'the statement took time');
  // Each is rounded to 0.01 ms; the stage happens inside the whole.
  t.ok(found_.app! + 0.01 >= found_.db!, `app ${found_.app} ≥ db ${found_.db}`);

  // No one holds the document: still read and audited (the event is written by the same statement).
  const missing = await ctx.request({ method: 'POST', url: '/v1/clearance/lookup', token: officer.token, payload: { document: { kind: 'passport', number: 'PNOBODY99' } } });
  t.equal(missing.statusCode, 404);
  t.same(Object.keys(parseServerTiming(String(missing.headers['server-timing']))), ['app', 'db'], 'the 404 too');

  // Refused before the lookup runs: only the whole.
  const refused = await ctx.request({ method: 'POST', url: '/v1/clearance/lookup', payload: { document: { kind: 'passport', number: traveller.passport } } });
  t.equal(refused.statusCode, 401);
  t.same(Object.keys(parseServerTiming(String(refused.headers['server-timing']))), ['app'], 'a 401 has the whole only');

  const health = await ctx.request({ method: 'GET', url: '/health/live' });
  t.match(String(health.headers['server-timing']), /^app;dur=\d+\.\d{2}$/, 'every route has the whole');
});
