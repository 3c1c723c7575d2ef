import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import t from 'tap';
import { identityDocuments } from '../../../src/db/schema.js';
import { errorHandler } from '../../../src/http/error-handler.js';
import { uuidv7 } from '../../../src/lib/ids.js';
import { loggerOptions } from '../../../src/logging.js';
import { buildTestApp, TEST_PASSWORD } from '../../support/app.js';
import { captureStream } from '../../support/http-checks.js';
import { insertInstitution, insertResearcher } from '../../support/records.js';
import { signJwt, validClaims } from '../../support/jwt.js';

/**
 * The request log is pino JSON with a request id on every line, and it never
 * carries a password, an access token, a client secret or an Authorization
 * header value — whatever the requests and their answers contained.
 */

for (const level of ['info', 'trace'] as const) {
  t.test(`at log level ${level}: sign-ins, account and client creation leave no secret in the log`, async (t) => {
    const log = captureStream();
    const ctx = await buildTestApp(t, { logger: loggerOptions({ logLevel: level }, log.stream) });

    const secrets: Record<string, string> = {};
    // A JSON sign-in, a form sign-in, a failed one.
    const sup = await ctx.caller('supervisor');
    secrets.supervisorToken = sup.token;
    secrets.callerPassword = TEST_PASSWORD;
    const form = await ctx.request({
      method: 'POST',
      url: '/v1/auth/token',
      payload: new URLSearchParams({ grant_type: 'password', username: sup.username, password: TEST_PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    t.equal(form.statusCode, 200, form.body);
    secrets.formToken = form.json().access_token;
    secrets.wrongPassword = 'Wrong-Password-Logged?-31337';
    const failed = await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username: sup.username, password: secrets.wrongPassword } });
    t.equal(failed.statusCode, 401);

    // Account creation with a password in the body, then its sign-in.
    secrets.newPassword = 'New-Account-Password-4242';
    const created = await ctx.request({
      method: 'POST',
      url: '/v1/users',
      token: sup.token,
      payload: { username: 'logged-user', password: secrets.newPassword, role: 'auditor' },
      headers: { 'idempotency-key': 'log-test-key-0001' },
    });
    t.equal(created.statusCode, 201, created.body);
    secrets.newToken = await ctx.login('logged-user', secrets.newPassword);
    // A validation failure that carries the password (too short) in the body.
    secrets.shortPassword = 'Short-7x';
    const invalid = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: { username: 'x', password: secrets.shortPassword, role: 'auditor' } });
    t.equal(invalid.statusCode, 422);

    // An API client: its secret is in an answer and then in a client_credentials body.
    const inst = await insertInstitution(ctx.db);
    const client = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: sup.token, payload: { name: 'log' } });
    t.equal(client.statusCode, 201, client.body);
    secrets.clientSecret = client.json().clientSecret;
    const grant = await ctx.request({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'client_credentials', client_id: client.json().clientId, client_secret: secrets.clientSecret },
    });
    t.equal(grant.statusCode, 200, grant.body);
    secrets.clientToken = grant.json().access_token;

    // Refused tokens: a forged one and one that makes the verifier throw.
    secrets.forged = signJwt(validClaims({ sub: sup.userId, role: 'supervisor' }), { secret: 'f'.repeat(40) });
    await ctx.request({ method: 'GET', url: '/v1/me', token: secrets.forged });
    secrets.hs512 = signJwt(validClaims({ sub: sup.userId, role: 'supervisor' }), { alg: 'HS512' });
    await ctx.request({ method: 'GET', url: '/v1/me', token: secrets.hs512 });
    // An ordinary authenticated read with the new account's token.
    const read = await ctx.request({ method: 'GET', url: '/v1/checkpoints?limit=1', token: secrets.newToken });
    t.equal(read.statusCode, 200, read.body);

    const text = log.text();
    const lines = log.lines();
    t.ok(lines.length >= 10, `the log has ${lines.length} lines`);
    t.ok(lines.some((l) => l.msg === 'request completed'), 'request completion is logged');
    t.ok(
      lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed').every((l) => typeof l.reqId === 'string' && l.reqId !== ''),
      'every request line carries the request id',
    );
    t.ok(text.includes('/v1/users'), 'the log does record the requests (so the absence checks below mean something)');

    for (const [name, value] of Object.entries(secrets)) {
      t.notOk(text.includes(value), `the log does not contain ${name}`);
      // A JWT's signature alone identifies it; look for that part too.
      if (value.split('.').length === 3) {
        t.notOk(text.includes(value.split('.')[2]!), `nor the signature of ${name}`);
      }
    }
    t.notMatch(text, /Bearer /, 'no Authorization header value');
    t.notOk(text.includes('log-test-key-0001'), 'no Idempotency-Key');
    t.notMatch(text, /\$argon2id\$/, 'no password hash');
  });
}

/**
 * Postgres repeats the values that a statement failed on: its message quotes them
 * (22P02 `invalid input syntax for type uuid: "…"`), its detail names the key of a
 * unique violation (23505 `Key (kind, number, country_key)=(…)`), its `where` quotes
 * JSON input, and drizzle's wrapper carries the parameters. Every API input is
 * validated before it reaches the database, so these errors are provoked here with
 * real statements against the test database, and logged the way the root error
 * handler logs a failed request: the log keeps the SQLSTATE, constraint, table and
 * routine, and holds no value.
 */
t.test('database errors are logged with their SQLSTATE, constraint and table, never the values they quote', async (t) => {
  const ctx = await buildTestApp(t);
  const secret = 'K7654321';
  const hkid = 'Z6839040';
  const institution = await insertInstitution(ctx.db);
  const researcher = await insertResearcher(ctx.db, { institutionId: institution.id });
  const doc = () =>
    ctx.db.insert(identityDocuments).values({ id: uuidv7(), researcherId: researcher.id, institutionId: institution.id, kind: 'hkid', number: hkid, issuingCountry: 'HKG', expiresOn: '2040-01-01' });
  await doc();

  const statements: Record<string, () => Promise<unknown>> = {
    '22P02 uuid': () => ctx.db.execute(sql`select ${secret}::uuid`),
    '22P02 json': () => ctx.db.execute(sql`select ${`{"documentNumber":"${secret}`}::jsonb`),
    '22008 date': () => ctx.db.execute(sql`select ${`${secret}-13-45`}::date`),
    '23505 unique': doc,
  };
  if (ctx.testDb.database.pool) {
    const pool = ctx.testDb.database.pool;
    statements['22P02 raw pg'] = () => pool.query('select $1::uuid', [`${secret}"quoted'`]);
  }
  const errors: Record<string, Error> = {};
  for (const [name, run] of Object.entries(statements)) {
    try {
      await run();
      t.fail(`${name}: the statement should fail`);
    } catch (err) {
      errors[name] = err as Error;
    }
  }
  const raw = JSON.stringify(Object.values(errors).map((e) => ({ ...e, message: e.message, stack: e.stack, cause: e.cause })));
  t.ok(raw.includes(secret) && raw.includes(hkid), 'the errors as thrown do quote the values (so their absence below means something)');
  t.match((errors['23505 unique']?.cause as { detail?: string }).detail, new RegExp(hkid), 'pg’s detail names the duplicate key');

  // Logged directly, as any code might, and through the root error handler (a 500 and a 409).
  const log = captureStream();
  const app = Fastify({ logger: loggerOptions({ logLevel: 'trace' }, log.stream) as never });
  await app.register(errorHandler);
  app.get('/fail/:name', async (request) => {
    throw errors[(request.params as { name: string }).name];
  });
  await app.ready();
  t.teardown(() => app.close());
  for (const [name, err] of Object.entries(errors)) {
    app.log.error({ err }, `logged directly: ${name}`);
    const res = await app.inject({ method: 'GET', url: `/fail/${encodeURIComponent(name)}` });
    t.equal(res.statusCode, name.startsWith('23505') ? 409 : 500, `${name} through the error handler: ${res.statusCode}`);
    t.notOk(res.body.includes(secret) || res.body.includes(hkid), `${name}: the problem body quotes nothing`);
  }

  const text = log.text();
  const logged = log.lines().filter((l) => l.err) as Array<{ msg: string; err: Record<string, unknown> }>;
  t.notOk(text.includes(secret), 'the log holds no quoted value');
  t.notOk(text.includes(hkid), 'nor the duplicate key of the unique violation');
  t.notMatch(text, /"detail"|"where"|"params"|"hint"/, 'no detail, where, hint or params field');
  const byMsg = (m: string) => logged.find((l) => l.msg === m)?.err ?? {};
  t.match(byMsg('logged directly: 22P02 uuid'), { code: '22P02', routine: 'string_to_uuid', message: /^invalid input syntax for type uuid: "…"$/, query: 'select $1::uuid' }, 'the SQLSTATE, routine, the SQL text and the message without the value');
  t.match(byMsg('logged directly: 22P02 json'), { code: '22P02', message: /json/ });
  t.match(byMsg('logged directly: 23505 unique'), { code: '23505', constraint: 'identity_documents_institution_uq', table: 'identity_documents' }, 'the constraint and table of the unique violation');
  t.match(String(byMsg('logged directly: 22P02 uuid').stack), /^\w+: invalid input syntax for type uuid: "…"\n\s+at /, 'the stack keeps its frames, headed by the redacted message');
  const failed = logged.filter((l) => l.msg === 'request failed');
  t.equal(failed.length, Object.keys(errors).length - 1, 'each 500 is logged as a failed request (the 409 is an info line without the error)');
  t.ok(failed.every((l) => /^[0-9A-Z]{5}$/.test(String(l.err.code))), 'each with its SQLSTATE');
  if (errors['22P02 raw pg']) t.match(byMsg('logged directly: 22P02 raw pg'), { code: '22P02', type: 'DatabaseError' }, 'a pg error without drizzle’s wrapper is treated the same');
});
