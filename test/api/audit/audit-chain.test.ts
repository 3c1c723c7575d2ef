import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import t from 'tap';
import { buildApp } from '../../../src/app.js';
import { canonicalize } from '../../../src/audit/canonical.js';
import { appendAudit, appendAuditAtCommit } from '../../../src/audit/chain.js';
import { openDatabase, queryRows } from '../../../src/db/client.js';
import { sqlState } from '../../../src/db/errors.js';
import { buildTestApp, TEST_PASSWORD } from '../../support/app.js';

/**
 * The audit log: every change appends an event whose hash chains to the previous
 * one (SHA-256 of prevHash ‖ RFC 8785 canonical JSON of the event); the database
 * refuses UPDATE, DELETE and TRUNCATE on it; verification recomputes the chain
 * and names the first bad sequence number; concurrent writers never fork it.
 */

interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  subject: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}
interface Verification {
  ok: boolean;
  count: number;
  headHash: string;
  firstBadSeq: number | null;
  problem?: string;
}

const ctx = await buildTestApp(t);
const sup = await ctx.caller('supervisor');
const auditor = await ctx.caller('auditor');
const real = ctx.testDb.source !== 'pglite';
const uniq = () => randomBytes(4).toString('hex').toUpperCase();

// Raw SQL as an operator (the database superuser) would type it: through its own
// pg connection on the real server; through the one embedded connection on PGlite.
let client: pg.Client | undefined;
if (real) {
  client = new pg.Client({ connectionString: ctx.testDb.url });
  await client.connect();
  t.teardown(() => client!.end());
}
async function rawSql(query: string): Promise<Array<Record<string, unknown>>> {
  if (client) return (await client.query(query)).rows as Array<Record<string, unknown>>;
  const result = (await ctx.db.execute(sql.raw(query))) as unknown as { rows: Array<Record<string, unknown>> };
  return result.rows;
}
async function rawSqlError(query: string): Promise<{ code: string | undefined; message: string } | undefined> {
  try {
    await rawSql(query);
    return undefined;
  } catch (err) {
    const messages: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) messages.push(e.message);
    return { code: sqlState(err), message: messages.join(' | ') };
  }
}

async function allEvents(): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const res = await ctx.request({
      method: 'GET',
      url: `/v1/audit-events?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      token: auditor.token,
    });
    if (res.statusCode !== 200) throw new Error(`audit-events ${res.statusCode} ${res.body}`);
    const page = res.json<{ items: AuditEvent[]; nextCursor: string | null }>();
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

async function verify(): Promise<Verification> {
  const res = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: auditor.token });
  if (res.statusCode !== 200) throw new Error(`verify ${res.statusCode} ${res.body}`);
  return res.json<Verification>();
}

/** The chain recomputed here, from the API's own output, by the documented formula. */
function recompute(events: AuditEvent[]): { ok: boolean; badSeq: number | null } {
  let prev = '0'.repeat(64);
  let expected = 1;
  for (const e of events) {
    if (e.seq !== expected || e.prevHash !== prev) return { ok: false, badSeq: e.seq };
    const { seq, at, actor, role, action, subject, data } = e;
    const hash = createHash('sha256').update(prev).update(canonicalize({ seq, at, actor, role, action, subject, data })).digest('hex');
    if (hash !== e.hash) return { ok: false, badSeq: e.seq };
    prev = e.hash;
    expected += 1;
  }
  return { ok: true, badSeq: null };
}

async function createCheckpoint(code = `A${uniq()}`) {
  const res = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code, name: `Audit ${code}`, nameZh: '审计' } });
  if (res.statusCode !== 201) throw new Error(`checkpoint ${res.statusCode} ${res.body}`);
  return code;
}

t.test('account creation appends user.create with actor, role, subject and the account (no password)', async (t) => {
  const res = await ctx.request({ method: 'POST', url: '/v1/users', token: sup.token, payload: { username: 'audited-officer', password: TEST_PASSWORD, role: 'officer', checkpoint: 'LOW' } });
  t.equal(res.statusCode, 201, res.body);
  const id = res.json().id as string;
  const events = (await allEvents()).filter((e) => e.subject === `user:${id}`);
  t.equal(events.length, 1, 'exactly one event for the new account');
  t.match(events[0], {
    actor: sup.userId,
    role: 'supervisor',
    action: 'user.create',
    subject: `user:${id}`,
    data: { after: { id, username: 'audited-officer', role: 'officer', checkpoint: 'LOW', status: 'active' } },
  });
  t.notOk(JSON.stringify(events[0]).includes(TEST_PASSWORD), 'no password');
  t.match(events[0]!.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'RFC 3339 UTC time');
});

t.test('checkpoint creation appends checkpoint.create; a refused creation appends nothing', async (t) => {
  const code = await createCheckpoint();
  const events = (await allEvents()).filter((e) => e.subject === `checkpoint:${code}`);
  t.equal(events.length, 1);
  t.match(events[0], { actor: sup.userId, role: 'supervisor', action: 'checkpoint.create', data: { after: { code, name: `Audit ${code}` } } });

  const before = (await verify()).count;
  const dup = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code, name: 'again', nameZh: '再' } });
  t.equal(dup.statusCode, 409);
  t.equal((await verify()).count, before, 'the refused creation left no event (same transaction)');
});

t.test('disable, enable and API client creation and revocation are audited too', async (t) => {
  const target = await ctx.caller('researcher');
  await ctx.request({ method: 'POST', url: `/v1/users/${target.userId}/disable`, token: sup.token });
  await ctx.request({ method: 'POST', url: `/v1/users/${target.userId}/enable`, token: sup.token });
  const inst = target.scope.institutionId!;
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst}/api-clients`, token: sup.token, payload: { name: 'audit' } });
  t.equal(created.statusCode, 201, created.body);
  const { id, clientId, clientSecret } = created.json<{ id: string; clientId: string; clientSecret: string }>();
  await ctx.request({ method: 'POST', url: `/v1/institutions/${inst}/api-clients/${clientId}/revoke`, token: sup.token });

  const events = await allEvents();
  const forUser = events.filter((e) => e.subject === `user:${target.userId}`).map((e) => e.action);
  // (ctx.caller creates the account directly in the database, so the API trail starts at its sign-in.)
  t.same(forUser.filter((a) => a !== 'auth.token_issued'), ['user.disable', 'user.enable'], 'disable and enable are recorded, in order');
  const disable = events.find((e) => e.subject === `user:${target.userId}` && e.action === 'user.disable');
  t.match(disable, { actor: sup.userId, role: 'supervisor', data: { before: { status: 'active' }, after: { status: 'disabled' } } });
  const forClient = events.filter((e) => e.subject === `api_client:${id}`).map((e) => e.action);
  t.same(forClient, ['api_client.create', 'api_client.revoke']);
  t.notOk(JSON.stringify(events).includes(clientSecret), 'the client secret is in no event');
});

t.test('verify answers {ok: true, count, headHash, firstBadSeq: null} matching the chain recomputed here', async (t) => {
  await createCheckpoint();
  const events = await allEvents();
  const v = await verify();
  t.ok(events.length >= 5, `${events.length} events`);
  t.same(v, { ok: true, count: events.length, headHash: events[events.length - 1]!.hash, firstBadSeq: null });
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'sequence numbers are 1..n without gaps');
  t.equal(events[0]!.prevHash, '0'.repeat(64), 'the chain starts from the genesis hash');
  t.same(recompute(events), { ok: true, badSeq: null }, 'SHA-256(prevHash ‖ JCS(event)) holds for every event');
});

t.test('the audit events list filters by action, subject and actor, and pages with a cursor', async (t) => {
  const code = await createCheckpoint();
  const bySubject = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=checkpoint:${code}`, token: auditor.token });
  t.same(bySubject.json().items.map((e: AuditEvent) => e.action), ['checkpoint.create']);
  const byAction = await ctx.request({ method: 'GET', url: '/v1/audit-events?action=checkpoint.create&limit=200', token: auditor.token });
  t.ok(byAction.json().items.every((e: AuditEvent) => e.action === 'checkpoint.create'));
  const byActor = await ctx.request({ method: 'GET', url: `/v1/audit-events?actor=${auditor.userId}`, token: auditor.token });
  t.ok(byActor.json().items.every((e: AuditEvent) => e.actor === auditor.userId));
  const p1 = await ctx.request({ method: 'GET', url: '/v1/audit-events?limit=2', token: auditor.token });
  const page1 = p1.json<{ items: AuditEvent[]; nextCursor: string }>();
  t.equal(page1.items.length, 2);
  const p2 = await ctx.request({ method: 'GET', url: `/v1/audit-events?limit=2&cursor=${page1.nextCursor}`, token: auditor.token });
  t.equal(p2.json().items[0].seq, page1.items[1]!.seq + 1, 'the next page starts after the last seq');
  const future = await ctx.request({ method: 'GET', url: `/v1/audit-events?from=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`, token: auditor.token });
  t.same(future.json().items, [], 'nothing from the future');
});

t.test('the database refuses UPDATE, DELETE and TRUNCATE on audit_events', async (t) => {
  if (!real) t.comment('PGlite: the same SQL goes through the embedded connection (there is no separate superuser connection)');
  const before = await allEvents();
  const update = await rawSqlError(`update audit_events set actor = 'mallory' where seq = 1`);
  t.ok(update, 'UPDATE fails');
  t.equal(update?.code, '42501', 'with insufficient_privilege');
  t.match(update?.message, /append-only/);
  const del = await rawSqlError('delete from audit_events where seq = 1');
  t.ok(del, 'DELETE fails');
  t.equal(del?.code, '42501');
  const truncate = await rawSqlError('truncate audit_events');
  t.ok(truncate, 'TRUNCATE fails');
  t.equal(truncate?.code, '42501');
  t.same(await allEvents(), before, 'the log is unchanged');
  t.equal((await verify()).ok, true);
});

/** Runs `tamper` with the row trigger disabled, then always puts it back. */
async function withTriggerDisabled(fn: () => Promise<void>): Promise<void> {
  await rawSql('alter table audit_events disable trigger audit_events_no_update_delete');
  try {
    await fn();
  } finally {
    await rawSql('alter table audit_events enable trigger audit_events_no_update_delete');
  }
}

const sqlLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

t.test('after an operator disables the trigger and edits a row, verify answers ok:false naming that seq', async (t) => {
  if (!real) t.comment('PGlite: ALTER TABLE … DISABLE TRIGGER runs on the embedded connection');
  await createCheckpoint();
  const events = await allEvents();
  const target = events[Math.floor(events.length / 2)]!;
  const [row] = await rawSql(`select data::text as data from audit_events where seq = ${target.seq}`);
  const original = row!.data as string;

  await withTriggerDisabled(async () => {
    await rawSql(`update audit_events set data = jsonb_set(data, '{tampered}', 'true') where seq = ${target.seq}`);
  });
  const bad = await verify();
  t.equal(bad.ok, false, 'the edit is detected');
  t.equal(bad.firstBadSeq, target.seq, 'firstBadSeq is the edited row');
  t.equal(bad.count, target.seq - 1, 'count is the events verified before it');
  t.same(recompute(await allEvents()), { ok: false, badSeq: target.seq }, 'the independent recomputation agrees');

  const refused = await rawSqlError(`update audit_events set actor = 'x' where seq = ${target.seq}`);
  t.equal(refused?.code, '42501', 'the trigger is back on');

  await withTriggerDisabled(async () => {
    await rawSql(`update audit_events set data = ${sqlLiteral(original)}::jsonb where seq = ${target.seq}`);
  });
  t.same(await verify(), { ok: true, count: events.length, headHash: events[events.length - 1]!.hash, firstBadSeq: null }, 'restoring the data restores the chain');
});

t.test('other edits are detected too: actor, time, hash, and a deleted row', async (t) => {
  await createCheckpoint();
  const events = await allEvents();
  const target = events[2]!;
  const [orig] = await rawSql(`select actor, at, hash, to_jsonb(a) as r from audit_events a where seq = ${target.seq}`);

  const cases: Array<[string, string, string]> = [
    ['actor', `update audit_events set actor = 'someone-else' where seq = ${target.seq}`, `update audit_events set actor = ${sqlLiteral(String(orig!.actor))} where seq = ${target.seq}`],
    ['time', `update audit_events set at = at + interval '1 second' where seq = ${target.seq}`, `update audit_events set at = at - interval '1 second' where seq = ${target.seq}`],
    ['hash', `update audit_events set hash = repeat('a', 64) where seq = ${target.seq}`, `update audit_events set hash = ${sqlLiteral(String(orig!.hash))} where seq = ${target.seq}`],
    [
      'deleted row',
      `delete from audit_events where seq = ${target.seq}`,
      `insert into audit_events select * from jsonb_populate_record(null::audit_events, ${sqlLiteral(JSON.stringify(orig!.r))}::jsonb)`,
    ],
  ];
  for (const [what, tamper, restore] of cases) {
    await withTriggerDisabled(() => rawSql(tamper).then(() => undefined));
    const v = await verify();
    t.equal(v.ok, false, `${what}: detected`);
    t.equal(v.firstBadSeq, target.seq, `${what}: firstBadSeq is ${target.seq}`);
    await withTriggerDisabled(() => rawSql(restore).then(() => undefined));
    t.equal((await verify()).ok, true, `${what}: restored`);
  }
});

t.test('20 parallel checkpoint creations leave one contiguous chain that verifies', async (t) => {
  if (!real) t.comment('PGlite is one connection: the 20 requests are serialised; the real server runs them concurrently');
  const before = await verify();
  const codes = Array.from({ length: 20 }, (_, i) => `P${i}${uniq()}`);
  const results = await Promise.all(
    codes.map((code) => ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code, name: code, nameZh: '并' } })),
  );
  t.same(results.map((r) => r.statusCode), Array(20).fill(201), 'all 20 are created');
  const after = await verify();
  t.equal(after.ok, true, `the chain verifies ${JSON.stringify(after)}`);
  t.equal(after.count, before.count + 20, 'exactly 20 more events');
  const events = await allEvents();
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'contiguous sequence numbers');
  const created = events.filter((e) => e.action === 'checkpoint.create' && codes.includes(String(e.subject).slice('checkpoint:'.length)));
  t.equal(created.length, 20, 'one event per checkpoint');
  t.equal(new Set(events.map((e) => e.prevHash)).size, events.length, 'no two events share a predecessor (no fork)');
});

t.test('two API instances with their own pools appending at once do not fork the chain (real server)', async (t) => {
  if (!real) {
    t.comment('needs the real server: PGlite is one in-process connection, so there is no second instance to race with');
    // What PGlite can do: the single-instance chain is intact.
    t.equal((await verify()).ok, true);
    return;
  }
  const database = await openDatabase({ url: ctx.testDb.url, poolMax: 10 });
  const other = await buildApp({ config: ctx.config, database }, { logger: false });
  t.teardown(async () => {
    await other.close();
    await database.close();
  });
  const before = await verify();
  const send = (i: number) => {
    const code = `Q${i}${uniq()}`;
    const opts = { method: 'POST' as const, url: '/v1/checkpoints', payload: { code, name: code, nameZh: '双' }, headers: { authorization: `Bearer ${sup.token}` } };
    return i % 2 === 0 ? ctx.app.inject(opts) : other.inject(opts);
  };
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => send(i)));
  t.same(results.map((r) => r.statusCode), Array(30).fill(201));
  const after = await verify();
  t.same({ ok: after.ok, count: after.count, firstBadSeq: after.firstBadSeq }, { ok: true, count: before.count + 30, firstBadSeq: null });
});

t.test('removing the newest events is detected: the chain must end where audit_head says', async (t) => {
  await createCheckpoint();
  await createCheckpoint();
  const events = await allEvents();
  const last = events[events.length - 1]!;
  const [saved] = await rawSql(`select to_jsonb(a)::text as row from audit_events a where seq = ${last.seq}`);
  await withTriggerDisabled(async () => {
    await rawSql(`delete from audit_events where seq = ${last.seq}`);
  });
  const bad = await verify();
  t.equal(bad.ok, false, 'the missing newest event is detected');
  t.equal(bad.firstBadSeq, last.seq, 'firstBadSeq is the first missing sequence number');
  t.equal(bad.count, last.seq - 1, 'every remaining event verifies');
  t.match(bad.problem, /missing/, `the problem says what: ${bad.problem}`);
  // Put the row back (INSERT is allowed): the chain is whole again.
  await rawSql(`insert into audit_events select * from jsonb_populate_record(null::audit_events, ${sqlLiteral(String(saved!.row))}::jsonb)`);
  t.same(await verify(), { ok: true, count: events.length, headHash: last.hash, firstBadSeq: null }, 'restored');
});

t.test('audit_head only moves forward', async (t) => {
  const back = await rawSqlError('update audit_head set seq = seq - 1');
  t.equal(back?.code, '42501', 'moving the head back is refused');
  const del = await rawSqlError('delete from audit_head');
  t.equal(del?.code, '42501', 'deleting the head is refused');
  const trunc = await rawSqlError('truncate audit_head');
  t.equal(trunc?.code, '42501', 'truncating the head is refused');
  t.equal((await verify()).ok, true, 'the chain still verifies');
});

t.test('events appended at commit (audit_outbox): linked as the transaction commits, gone with a rollback, never forked', async (t) => {
  const before = await verify();
  // Committed: the event is in the chain once the transaction is, and the outbox is empty.
  await ctx.db.transaction(async (tx) => {
    await appendAuditAtCommit(tx, { actor: 'test', role: 'system', action: 'outbox.committed', subject: 'x:1', data: { n: 1, 名: '河套' } });
    const inside = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from audit_events where action = 'outbox.committed'`);
    t.equal(Number(inside[0]!.n), 0, 'not in the chain before the commit');
  });
  const after = await allEvents();
  const committed = after.filter((e) => e.action === 'outbox.committed');
  t.equal(committed.length, 1, 'in the chain after the commit');
  t.same(committed[0]!.data, { n: 1, 名: '河套' });
  // Rolled back: nothing.
  await ctx.db
    .transaction(async (tx) => {
      await appendAuditAtCommit(tx, { actor: 'test', role: 'system', action: 'outbox.rolled_back', data: {} });
      throw new Error('abandon');
    })
    .catch(() => undefined);
  t.equal((await allEvents()).filter((e) => e.action === 'outbox.rolled_back').length, 0, 'a rollback leaves no event');
  const outbox = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from audit_outbox`);
  t.equal(Number(outbox[0]!.n), 0, 'the outbox holds nothing after commits and rollbacks');
  // Mixed with direct appends, concurrently: one chain, every event once.
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? ctx.db.transaction((tx) => appendAuditAtCommit(tx, { actor: 'test', role: 'system', action: 'outbox.mixed', data: { i } }))
        : appendAudit(ctx.db, { actor: 'test', role: 'system', action: 'outbox.mixed', data: { i } }),
    ),
  );
  const v = await verify();
  t.same({ ok: v.ok, count: v.count }, { ok: true, count: before.count + 21 }, 'the chain verifies, with every event');
});

t.test('ANALYZE of audit_events skips the hashes and the data, and keeps coarse statistics of the filtered columns', async (t) => {
  // Events with many actions and subjects, so that every analysed column has something to describe.
  await Promise.all(
    Array.from({ length: 40 }, (_, i) => appendAudit(ctx.db, { actor: `stats-${i % 4}`, role: 'system', action: `stats.${i % 5}`, subject: `x:${i}`, data: { i } })),
  );
  await rawSql('analyze audit_events');
  const rows = await rawSql(
    `select a.attname as name, (s.attname is not null) as analysed
       from pg_attribute a
       left join pg_stats s on s.schemaname = 'public' and s.tablename = 'audit_events' and s.attname = a.attname
      where a.attrelid = 'audit_events'::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attname`,
  );
  const analysed = Object.fromEntries(rows.map((r) => [String(r.name), r.analysed === true || r.analysed === 't']));
  t.same(
    analysed,
    { action: true, actor: true, at: true, data: false, hash: false, prev_hash: false, role: true, seq: true, subject: true },
    'statistics for what the audit list filters on, none for the hashes and the data',
  );
  // The other columns (the list's filters, and role): a target of 25 (a sample of 7,500 rows), not the default 100 (30,000).
  const targets = await rawSql(
    `select attname as name, attstattarget::int as target from pg_attribute
      where attrelid = 'audit_events'::regclass and attname in ('seq', 'at', 'actor', 'role', 'action', 'subject') order by attname`,
  );
  t.same(
    targets.map((r) => [String(r.name), Number(r.target)]),
    [['action', 25], ['actor', 25], ['at', 25], ['role', 25], ['seq', 25], ['subject', 25]],
  );
});

t.test('each filter of the audit list has an index in seq order (action, subject, actor)', async (t) => {
  // The plans the list's queries get when the planner is told to avoid scans of the whole table:
  // an index that answers the filter in seq order, so no filter reads the whole log.
  for (const [column, index] of [
    ['action', 'audit_events_action_idx'],
    ['subject', 'audit_events_subject_idx'],
    ['actor', 'audit_events_actor_idx'],
  ] as const) {
    const plan = await ctx.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      await tx.execute(sql`set local enable_bitmapscan = off`);
      const rows = await queryRows<Record<string, string>>(tx, sql.raw(`explain select * from audit_events where ${column} = 'nobody' order by seq limit 51`));
      return rows.map((r) => Object.values(r)[0]).join('\n');
    });
    t.match(plan, new RegExp(`Index Scan using ${index}`), `${column}: ${plan.split('\n')[0]}`);
    t.notMatch(plan, /Sort/, `${column}: no sort (the index gives seq order)`);
  }
});
