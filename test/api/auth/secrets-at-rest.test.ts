import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import t from 'tap';
import { canonicalize } from '../../../src/audit/canonical.js';
import { idempotencyKeys, users } from '../../../src/db/schema.js';
import { buildTestApp, TEST_PASSWORD } from '../../support/app.js';
import { insertInstitution } from '../../support/records.js';

/**
 * What someone who reads the database (a backup, a replica, a leaked dump) can
 * learn: passwords and client secrets are kept only as argon2id hashes, in every
 * table, including the idempotency store and the audit log.
 */

const ctx = await buildTestApp(t);
const sup = await ctx.caller('supervisor');

async function tablesContaining(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const table of ['users', 'api_clients', 'idempotency_keys', 'audit_events']) {
    const rows = await ctx.db.execute(sql.raw(`select count(*)::int as n from ${table} t where t::text like '%' || '${needle.replace(/'/g, "''")}' || '%'`));
    const n = (rows as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
    if (n > 0) found.push(table);
  }
  return found;
}

t.test('an account password is stored only as an argon2id hash, nowhere in clear', async (t) => {
  const password = 'Plain-Password-Marker-91827';
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/users',
    token: sup.token,
    payload: { username: 'at-rest-user', password, role: 'auditor' },
    headers: { 'idempotency-key': 'at-rest-user-1' },
  });
  t.equal(res.statusCode, 201, res.body);
  const [row] = await ctx.db.select().from(users).where(eq(users.username, 'at-rest-user'));
  t.match(row!.passwordHash, /^\$argon2id\$/, 'argon2id');
  t.same(await tablesContaining(password), [], 'the plain password is in no table');
  t.notOk(res.body.includes('$argon2'), 'the hash is not in the answer either');
});

t.test('the idempotency store holds no fast unsalted hash that would confirm a password guess', async (t) => {
  const body = { username: 'fast-hash-user', password: TEST_PASSWORD, role: 'auditor' as const };
  const res = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: body, headers: { 'idempotency-key': 'fast-hash-1' } });
  t.equal(res.statusCode, 201, res.body);
  const [stored] = await ctx.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'fast-hash-1'));
  t.ok(stored, 'the key is stored');
  // With the username and role in the stored response beside it, a reader of the
  // table who can recompute request_hash from a guess tests passwords at SHA-256
  // speed, bypassing argon2id.
  const guess = createHash('sha256').update(canonicalize({ route: 'POST /v1/users', body })).digest('hex');
  t.not(stored!.requestHash, guess, 'request_hash is not SHA-256 of the body with the password (use an HMAC with a server key)');
});

t.test('an API client secret is shown once and stored only hashed, even when created with an Idempotency-Key', async (t) => {
  const inst = await insertInstitution(ctx.db);
  const res = await ctx.request({
    method: 'POST',
    url: `/v1/institutions/${inst.id}/api-clients`,
    token: sup.token,
    payload: { name: 'payroll' },
    headers: { 'idempotency-key': 'client-at-rest-1' },
  });
  t.equal(res.statusCode, 201, res.body);
  const secret = res.json<{ clientSecret: string }>().clientSecret;
  t.same(await tablesContaining(secret), [], 'the plain secret is in no table (not in idempotency_keys.response either)');
});

t.test('account creation is audited without the password or its hash', async (t) => {
  const password = 'Audit-Marker-Password-5555';
  const res = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: { username: 'audited-user', password, role: 'auditor' } });
  t.equal(res.statusCode, 201, res.body);
  const events = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=user:${res.json().id}`, token: sup.token });
  t.equal(events.statusCode, 200);
  t.equal(events.json().items.length, 1, 'one user.create event');
  t.notOk(events.body.includes(password), 'no password');
  t.notOk(events.body.includes('$argon2'), 'no hash');
});
