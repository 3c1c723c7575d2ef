import t from 'tap';
import { loggerOptions } from '../../src/logging.js';
import { buildTestApp, TEST_PASSWORD } from '../helpers/app.js';
import { captureStream } from '../helpers/foundation-http.js';
import { insertInstitution } from '../helpers/fixtures.js';
import { signJwt, validClaims } from '../helpers/foundation-jwt.js';

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
