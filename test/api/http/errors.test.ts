import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { auditEvents, checkpoints, idempotencyKeys, users } from '../../../src/db/schema.js';
import { errorHandler } from '../../../src/http/error-handler.js';
import { loggerOptions } from '../../../src/logging.js';
import { buildTestApp, TEST_PASSWORD } from '../../support/app.js';
import { assertProblem, captureStream } from '../../support/http-checks.js';

/**
 * Every error is RFC 9457 problem+json with a stable code: malformed bodies,
 * unknown routes, size and media-type limits, validation, authentication,
 * authorisation, conflicts, idempotency keys, and unexpected failures that must
 * not show their internals.
 */

const ctx = await buildTestApp(t);
const sup = await ctx.caller('supervisor');
const uniq = () => randomBytes(4).toString('hex').toUpperCase();

const postJson = (url: string, body: string, token?: string, headers: Record<string, string> = {}) =>
  ctx.request({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json', ...headers }, ...(token ? { token } : {}) });

t.test('malformed JSON is 400 MALFORMED_JSON, on a public and on an authenticated route', async (t) => {
  assertProblem(t, await postJson('/v1/auth/token', '{"grant_type": "password",'), 400, 'MALFORMED_JSON');
  assertProblem(t, await postJson('/v1/checkpoints', '{code: XX}', sup.token), 400, 'MALFORMED_JSON');
});

t.test('an empty body declared as JSON is 400 MALFORMED_JSON', async (t) => {
  assertProblem(t, await postJson('/v1/checkpoints', '', sup.token), 400, 'MALFORMED_JSON');
});

t.test('an unknown route (or an unknown method on a known path) is 404 ROUTE_NOT_FOUND problem+json', async (t) => {
  const p = assertProblem(t, await ctx.request({ method: 'GET', url: '/v1/no-such-thing?x=1' }), 404, 'ROUTE_NOT_FOUND');
  t.equal(p.instance, '/v1/no-such-thing', 'instance is the path without the query');
  assertProblem(t, await ctx.request({ method: 'DELETE', url: '/v1/checkpoints', token: sup.token }), 404, 'ROUTE_NOT_FOUND');
});

t.test('a path parameter with a broken percent-escape is a 400 problem+json', async (t) => {
  const res = await ctx.request({ method: 'GET', url: '/v1/users/%E0%A4%A', token: sup.token });
  assertProblem(t, res, 400);
});

t.test('a path parameter over the router limit (200 characters) is a 414 problem+json', async (t) => {
  const res = await ctx.request({ method: 'GET', url: `/v1/users/${'x'.repeat(250)}`, token: sup.token });
  assertProblem(t, res, 414);
});

t.test('a content type the route does not take is 415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
  const csv = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: 'code,name\nXX,x', headers: { 'content-type': 'text/csv' } });
  assertProblem(t, csv, 415, 'UNSUPPORTED_MEDIA_TYPE');
  const xml = await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: '<token/>', headers: { 'content-type': 'application/xml' } });
  assertProblem(t, xml, 415, 'UNSUPPORTED_MEDIA_TYPE');
  // The form parser belongs to the token endpoint only.
  const form = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: 'code=XX', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assertProblem(t, form, 415, 'UNSUPPORTED_MEDIA_TYPE');
});

t.test('a body over BODY_LIMIT_BYTES is 413 PAYLOAD_TOO_LARGE, and one under it is processed', async (t) => {
  const small = await buildTestApp(t, { env: { BODY_LIMIT_BYTES: '1024' } });
  t.equal(small.config.http.bodyLimit, 1024);
  const admin = await small.caller('supervisor');
  const big = JSON.stringify({ code: 'BIG', name: 'x'.repeat(2000), nameZh: '大' });
  const res = await small.request({ method: 'POST', url: '/v1/checkpoints', token: admin.token, payload: big, headers: { 'content-type': 'application/json' } });
  assertProblem(t, res, 413, 'PAYLOAD_TOO_LARGE');
  const publicRoute = await small.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: JSON.stringify({ grant_type: 'password', username: 'x', password: 'p'.repeat(1500) }),
    headers: { 'content-type': 'application/json' },
  });
  assertProblem(t, publicRoute, 413, 'PAYLOAD_TOO_LARGE');
  const fits = await small.request({ method: 'POST', url: '/v1/checkpoints', token: admin.token, payload: { code: 'FITS', name: 'x'.repeat(100), nameZh: '小' } });
  t.equal(fits.statusCode, 201, fits.body);
  const rows = await small.db.select().from(checkpoints).where(eq(checkpoints.code, 'BIG'));
  t.equal(rows.length, 0, 'the refused body created nothing');
});

t.test('validation failures are 422 VALIDATION_FAILED with errors[{path, message}] naming each field', async (t) => {
  const res = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code: 'lower case', name: '', nameZh: '中' } });
  const p = assertProblem(t, res, 422, 'VALIDATION_FAILED');
  const paths = (p.errors ?? []).map((e) => e.path).sort();
  t.same(paths, ['code', 'name'], 'both bad fields, and only those');
  t.ok(p.errors!.every((e) => e.message.length > 0), 'each with a message');

  const extra = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code: 'OK1', name: 'n', nameZh: 'z', isAdmin: true } });
  const pe = assertProblem(t, extra, 422, 'VALIDATION_FAILED');
  t.match(JSON.stringify(pe.errors), /isAdmin/, 'an unknown field is named');

  const user = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: { username: 'ok-name', password: 'short', role: 'auditor' } });
  const pu = assertProblem(t, user, 422, 'VALIDATION_FAILED');
  t.same(pu.errors?.map((e) => e.path), ['password'], 'a short password is named');
  t.match(pu.detail, /password/, 'and the detail says which field');

  const query = await ctx.request({ method: 'GET', url: '/v1/checkpoints?limit=100000', token: sup.token });
  const pq = assertProblem(t, query, 422, 'VALIDATION_FAILED');
  t.ok(pq.errors?.some((e) => e.path === 'limit'), 'a query parameter is named');
});

t.test('401 and 403 are problem+json too', async (t) => {
  const none = await ctx.request({ method: 'GET', url: '/v1/users' });
  assertProblem(t, none, 401, 'UNAUTHORIZED');
  t.equal(none.headers['www-authenticate'], 'Bearer');
  const officer = await ctx.caller('officer');
  assertProblem(t, await ctx.request({ method: 'GET', url: '/v1/users', token: officer.token }), 403, 'FORBIDDEN');
});

t.test('authentication comes before body parsing: a stranger gets 401, not 400/415/422', async (t) => {
  assertProblem(t, await postJson('/v1/checkpoints', '{broken'), 401);
  assertProblem(t, await ctx.request({ method: 'POST', url: '/v1/checkpoints', payload: 'x', headers: { 'content-type': 'text/plain' } }), 401);
});

t.test('409 for a duplicate username and for a duplicate checkpoint code', async (t) => {
  const username = `dup-${uniq().toLowerCase()}`;
  const body = { username, password: TEST_PASSWORD, role: 'auditor' };
  t.equal((await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: body })).statusCode, 201);
  const again = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: { ...body, username: username.toUpperCase() } });
  assertProblem(t, again, 409, 'USERNAME_TAKEN');
  t.equal((await ctx.db.select().from(users).where(eq(users.username, username))).length, 1, 'still one account');

  const seeded = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code: 'LMC', name: 'Again', nameZh: '再' } });
  assertProblem(t, seeded, 409, 'CHECKPOINT_EXISTS');
  const code = `D${uniq()}`;
  t.equal((await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code, name: 'One', nameZh: '一' } })).statusCode, 201);
  assertProblem(t, await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code, name: 'Two', nameZh: '二' } }), 409, 'CHECKPOINT_EXISTS');
});

t.test('Idempotency-Key: the same key and body replay the first answer; another body is 409 IDEMPOTENCY_KEY_REUSED', async (t) => {
  const key = `idem-${uniq()}`;
  const body = { code: `I${uniq()}`, name: 'Idempotent', nameZh: '幂等' };
  const send = (payload: object, k = key) => ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload, headers: { 'idempotency-key': k } });

  const first = await send(body);
  t.equal(first.statusCode, 201, first.body);
  t.notOk(first.headers['idempotent-replayed'], 'the first answer is not a replay');
  const replay = await send(body);
  t.equal(replay.statusCode, 201, 'the replay has the first status');
  t.equal(replay.headers['idempotent-replayed'], 'true', 'and says it is a replay');
  t.same(replay.json(), first.json(), 'and the first body');
  t.equal(replay.headers.location, first.headers.location, 'and the first location');

  const events = await ctx.db.select().from(auditEvents).where(eq(auditEvents.subject, `checkpoint:${body.code}`));
  t.equal(events.length, 1, 'the work ran once: one audit event');

  const other = await send({ ...body, name: 'Something else' });
  assertProblem(t, other, 409, 'IDEMPOTENCY_KEY_REUSED');
  const [row] = await ctx.db.select().from(checkpoints).where(eq(checkpoints.code, body.code));
  t.equal(row!.nameEn, 'Idempotent', 'the record is unchanged');
});

t.test('Idempotency-Key: ten requests racing with one key do the work once and all answer the same', async (t) => {
  const key = `race-${uniq()}`;
  const body = { code: `R${uniq()}`, name: 'Raced', nameZh: '竞' };
  const answers = await Promise.all(
    Array.from({ length: 10 }, () =>
      ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: body, headers: { 'idempotency-key': key } }),
    ),
  );
  t.same(answers.map((a) => a.statusCode), Array(10).fill(201), 'every racer gets the first status');
  t.equal(answers.filter((a) => a.headers['idempotent-replayed'] === 'true').length, 9, 'nine are replays of the one that did the work');
  t.equal(new Set(answers.map((a) => a.body)).size, 1, 'one body for all');
  const events = await ctx.db.select().from(auditEvents).where(eq(auditEvents.subject, `checkpoint:${body.code}`));
  t.equal(events.length, 1, 'the work ran once: one audit event');
});

t.test('Idempotency-Key on account creation replays the same id', async (t) => {
  const key = `acct-${uniq()}`;
  const body = { username: `idem-${uniq().toLowerCase()}`, password: TEST_PASSWORD, role: 'auditor' };
  const first = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: body, headers: { 'idempotency-key': key } });
  t.equal(first.statusCode, 201, first.body);
  const second = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: body, headers: { 'idempotency-key': key } });
  t.equal(second.statusCode, 201);
  t.equal(second.headers['idempotent-replayed'], 'true');
  t.equal(second.json().id, first.json().id, 'same id');
  t.equal((await ctx.db.select().from(users).where(eq(users.username, body.username))).length, 1, 'one account');
});

t.test('an Idempotency-Key belongs to its caller: another supervisor with the same key is not replayed', async (t) => {
  const other = await ctx.caller('supervisor');
  const key = `shared-${uniq()}`;
  const a = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code: `A${uniq()}`, name: 'a', nameZh: 'a' }, headers: { 'idempotency-key': key } });
  t.equal(a.statusCode, 201, a.body);
  const b = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: other.token, payload: { code: `B${uniq()}`, name: 'b', nameZh: 'b' }, headers: { 'idempotency-key': key } });
  t.equal(b.statusCode, 201, b.body);
  t.notOk(b.headers['idempotent-replayed'], 'not a replay of the other caller');
  t.not(b.json().code, a.json().code);
});

t.test('a refused request stores no idempotency record, so the key can be retried with a corrected body', async (t) => {
  const key = `retry-${uniq()}`;
  const bad = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code: 'LMC', name: 'dup', nameZh: 'dup' }, headers: { 'idempotency-key': key } });
  assertProblem(t, bad, 409, 'CHECKPOINT_EXISTS');
  t.equal((await ctx.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key))).length, 0, 'nothing stored');
  const good = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code: `R${uniq()}`, name: 'ok', nameZh: 'ok' }, headers: { 'idempotency-key': key } });
  t.equal(good.statusCode, 201, good.body);
});

t.test('a malformed Idempotency-Key is 400 INVALID_IDEMPOTENCY_KEY naming the header', async (t) => {
  for (const key of ['has space', 'x'.repeat(256), 'ключ']) {
    const res = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code: `K${uniq()}`, name: 'k', nameZh: 'k' }, headers: { 'idempotency-key': key } });
    const p = assertProblem(t, res, 400, 'INVALID_IDEMPOTENCY_KEY');
    t.ok(p.errors?.some((e) => e.path === 'headers.idempotency-key'));
  }
});

t.test('concurrent requests with the same Idempotency-Key create one record (real server)', async (t) => {
  const key = `race-${uniq()}`;
  const body = { code: `C${uniq()}`, name: 'Race', nameZh: '竞' };
  const send = () => ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: body, headers: { 'idempotency-key': key } });
  if (ctx.testDb.source === 'pglite') t.comment('PGlite is one connection: the requests are serialised, so this only checks the sequential outcome');
  const results = await Promise.all(Array.from({ length: 8 }, send));
  t.same(results.map((r) => r.statusCode), Array(8).fill(201), 'every request answers 201');
  t.equal(results.filter((r) => r.headers['idempotent-replayed'] !== 'true').length, 1, 'exactly one did the work');
  t.equal((await ctx.db.select().from(auditEvents).where(eq(auditEvents.subject, `checkpoint:${body.code}`))).length, 1, 'one audit event');
});

t.test('problem answers carry the request id and the security headers', async (t) => {
  const res = await ctx.request({ method: 'GET', url: '/v1/users', headers: { 'x-request-id': 'trace-abc.123' } });
  const p = assertProblem(t, res, 401);
  t.equal(res.headers['x-request-id'], 'trace-abc.123', 'a well-formed request id is echoed');
  t.equal(p.requestId, 'trace-abc.123', 'and is in the problem');
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(res.headers['cache-control'], 'no-store');
  const weird = await ctx.request({ method: 'GET', url: '/v1/users', headers: { 'x-request-id': 'bad id\twith spaces' } });
  t.not(weird.headers['x-request-id'], 'bad id\twith spaces', 'a malformed request id is replaced');
  t.match(String(weird.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

// ---- the error handler on its own ----------------------------------------------

async function bareApp(t: Test, throwing: () => unknown) {
  const log = captureStream();
  const app = Fastify({ logger: loggerOptions({ logLevel: 'info' }, log.stream) as never });
  await app.register(errorHandler);
  app.get('/boom', async () => {
    throw throwing();
  });
  await app.ready();
  t.teardown(() => app.close());
  return { app, log };
}

t.test('an unexpected error is a 500 problem that does not show its internals (but is logged)', async (t) => {
  const { app, log } = await bareApp(t, () => new Error('secret internals: password=hunter2 at db.internal:5432'));
  const res = await app.inject({ method: 'GET', url: '/boom' });
  const p = assertProblem(t, res, 500, 'INTERNAL');
  t.notMatch(res.body, /secret internals|hunter2|db\.internal|at .*\.ts|Error:/, 'no message, stack or detail of the error');
  t.notMatch(p.detail, /secret/);
  t.match(log.text(), /secret internals/, 'the error is in the log for the operator');
});

t.test('an error object with its own statusCode 500 and code shows nothing either', async (t) => {
  const { app } = await bareApp(t, () => Object.assign(new Error('pool exhausted on replica-7'), { statusCode: 500, code: 'E_POOL' }));
  const res = await app.inject({ method: 'GET', url: '/boom' });
  assertProblem(t, res, 500, 'INTERNAL');
  t.notMatch(res.body, /replica-7|E_POOL/);
});

t.test('a thrown non-Error value is a 500 problem', async (t) => {
  const { app } = await bareApp(t, () => 'a string with secret internals');
  const res = await app.inject({ method: 'GET', url: '/boom' });
  assertProblem(t, res, 500);
  t.notMatch(res.body, /secret internals/);
});

const databaseErrors: Array<{ name: string; error: () => Error; status: number; code: string }> = [
  { name: 'a lost connection (ECONNREFUSED)', error: () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }), status: 503, code: 'SERVICE_UNAVAILABLE' },
  { name: 'SQLSTATE 57P01 (admin shutdown)', error: () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), status: 503, code: 'SERVICE_UNAVAILABLE' },
  { name: 'a unique violation wrapped by drizzle', error: () => Object.assign(new Error('Failed query: insert into secret_table'), { cause: Object.assign(new Error('duplicate key'), { code: '23505' }) }), status: 409, code: 'CONFLICT' },
  { name: 'a serialization failure (40001)', error: () => Object.assign(new Error('could not serialize'), { code: '40001' }), status: 409, code: 'CONCURRENT_UPDATE' },
  { name: 'a statement timeout (57014)', error: () => Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }), status: 503, code: 'SERVICE_UNAVAILABLE' },
];

for (const c of databaseErrors) {
  t.test(`${c.name} maps to ${c.status} ${c.code} without showing the SQL`, async (t) => {
    const { app } = await bareApp(t, c.error);
    const res = await app.inject({ method: 'GET', url: '/boom' });
    assertProblem(t, res, c.status, c.code);
    t.notMatch(res.body, /secret_table|10\.0\.0\.5|Failed query/, 'no SQL or address in the answer');
    if (c.status === 503) t.ok(res.headers['retry-after'], '503 says when to retry');
  });
}
