import t from 'tap';
import { appendAudit, verifyChain } from '../../src/audit/chain.js';
import { AuditWriter } from '../../src/audit/writer.js';
import { queryRows } from '../../src/db/client.js';
import { sql } from 'drizzle-orm';
import { buildTestApp } from '../helpers/app.js';

t.test('group commit: concurrent events are all durable when their promises resolve, in fewer transactions', async (t) => {
  const ctx = await buildTestApp(t);
  const writer = new AuditWriter(ctx.db);
  const n = 200;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      writer.append({ actor: 'test', role: 'officer', action: 'clearance.lookup', subject: `researcher:${i}`, data: { i } }, new Date()),
    ),
  );
  const rows = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from audit_events where action = 'clearance.lookup'`);
  t.equal(Number(rows[0]!.n), n, 'every acknowledged event is in the table');
  const chain = await verifyChain(ctx.db);
  t.ok(chain.ok, 'the chain verifies');
  // Each row's xmin is the transaction that wrote it: count the transactions.
  const tx = await queryRows<{ n: number }>(
    ctx.db,
    sql`select count(distinct xmin::text)::int as n from audit_events where action = 'clearance.lookup'`,
  );
  const used = Number(tx[0]!.n);
  t.ok(used >= 1 && used < n / 2, `200 concurrent events were written in ${used} transactions`);
  await writer.close();
});

t.test('a failed batch rejects its callers and the writer keeps working', async (t) => {
  const ctx = await buildTestApp(t);
  const writer = new AuditWriter(ctx.db);
  await t.rejects(
    writer.append({ actor: 'test', role: 'officer', action: 'x', data: { bad: 1n as unknown as number } }, new Date()),
    'an event that cannot be serialised is refused to its caller',
  );
  await writer.append({ actor: 'test', role: 'officer', action: 'after', data: {} }, new Date());
  const rows = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from audit_events where action = 'after'`);
  t.equal(Number(rows[0]!.n), 1);
});

t.test('on Postgres a batch is one statement after the remembered head, and a moved head is linked again', async (t) => {
  const ctx = await buildTestApp(t);
  const pool = ctx.testDb.database.pool;
  if (!pool) {
    t.comment('runs on the real server only: on PGlite (one connection) no other appender can move the head between batches');
    return;
  }
  const writer = new AuditWriter(ctx.db);
  const ev = (action: string) => ({ actor: 'test', role: 'officer', action, data: { action } });
  await writer.append(ev('w.alone'), new Date());
  t.same({ ...writer.stats }, { one: 1, batch: 0, relinked: 0, locked: 0 }, 'a lone event is hashed by the database as it moves the head');
  await Promise.all([writer.append(ev('w.a1'), new Date()), writer.append(ev('w.a2'), new Date()), writer.append(ev('w.a3'), new Date())]);
  t.ok(writer.stats.batch >= 1 && writer.stats.relinked === 0, 'events queued behind it go as one batch after the remembered head');

  // Another appender (a crossing, another instance) moves the chain on.
  await appendAudit(ctx.db, ev('o.between'));
  const before = writer.stats.relinked;
  await Promise.all([writer.append(ev('w.b1'), new Date()), writer.append(ev('w.b2'), new Date()), writer.append(ev('w.b3'), new Date())]);
  t.ok(writer.stats.relinked > before, 'the stale head wrote nothing and the batch was linked again to the real head');
  t.equal(writer.stats.locked, 0, 'no fallback to the locking transaction was needed');

  const rows = await queryRows<{ action: string }>(ctx.db, sql`select action from audit_events where action like 'w.%' or action = 'o.between' order by seq`);
  t.same(
    rows.map((r) => r.action).sort(),
    ['o.between', 'w.a1', 'w.a2', 'w.a3', 'w.alone', 'w.b1', 'w.b2', 'w.b3'],
    'one event each, none lost or doubled',
  );
  const chain = await verifyChain(ctx.db);
  t.ok(chain.ok, `the chain verifies and ends at the head (${chain.count} events)`);
  await writer.close();
});

t.test('two writers (two instances) appending at once never fork the chain', async (t) => {
  const ctx = await buildTestApp(t);
  const pool = ctx.testDb.database.pool;
  if (!pool) {
    t.comment('two writers need the pg pool: PGlite is one connection');
    return;
  }
  const a = new AuditWriter(ctx.db);
  const b = new AuditWriter(ctx.db);
  const n = 150;
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      (i % 2 === 0 ? a : b).append({ actor: 'test', role: 'officer', action: 'two.writers', subject: `n:${i}`, data: { i } }, new Date()),
    ),
  );
  // Keep them racing in waves so that each writer's remembered head goes stale.
  for (let wave = 0; wave < 10; wave += 1) {
    await Promise.all([
      a.append({ actor: 'a', role: 'officer', action: 'two.writers', data: { wave } }, new Date()),
      b.append({ actor: 'b', role: 'officer', action: 'two.writers', data: { wave } }, new Date()),
    ]);
  }
  // And in turns, a batch each, so that each writer's remembered head is certainly stale when it writes (the
  // racing above may or may not interleave, depending on which connection the pool hands out first).
  for (let turn = 0; turn < 4; turn += 1) {
    const w = turn % 2 === 0 ? a : b;
    await Promise.all([0, 1].map((k) => w.append({ actor: 'turns', role: 'officer', action: 'two.writers', data: { turn, k } }, new Date())));
  }
  const rows = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from audit_events where action = 'two.writers'`);
  t.equal(Number(rows[0]!.n), n + 20 + 8, 'every acknowledged event is there exactly once');
  const chain = await verifyChain(ctx.db);
  t.ok(chain.ok, 'the chain verifies');
  t.ok(a.stats.relinked + b.stats.relinked + a.stats.locked + b.stats.locked > 0, `stale heads were detected and linked again (${a.stats.relinked + b.stats.relinked} times)`);
  await Promise.all([a.close(), b.close()]);
});
