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

t.test('on Postgres a batch is one statement after the remembered head, and a moved head is re-read', async (t) => {
  const ctx = await buildTestApp(t);
  const pool = ctx.testDb.database.pool;
  if (!pool) {
    t.skip('the one-statement append needs the pg pool (PGlite has one connection and takes the locked path)');
    return;
  }
  const writer = new AuditWriter(ctx.db, pool);
  await writer.append({ actor: 'test', role: 'officer', action: 'w.first', data: {} }, new Date());
  await writer.append({ actor: 'test', role: 'officer', action: 'w.second', data: {} }, new Date());
  t.same({ ...writer.stats }, { fast: 2, reread: 1, locked: 0 }, 'the head is read once, then remembered');

  // Another appender (a crossing, another instance) moves the chain on.
  await appendAudit(ctx.db, { actor: 'other', role: 'officer', action: 'o.between', data: {} });
  await writer.append({ actor: 'test', role: 'officer', action: 'w.third', data: {} }, new Date());
  t.same({ ...writer.stats }, { fast: 3, reread: 2, locked: 0 }, 'the stale head fails whole on the key, is re-read, and the batch lands');

  const rows = await queryRows<{ seq: number; action: string }>(ctx.db, sql`select seq::int as seq, action from audit_events where action in ('w.first','w.second','o.between','w.third') order by seq`);
  t.same(rows.map((r) => r.action), ['w.first', 'w.second', 'o.between', 'w.third'], 'one event each, in order, none lost or doubled');
  const chain = await verifyChain(ctx.db);
  t.ok(chain.ok, `the chain verifies (${chain.count} events)`);
  await writer.close();
});

t.test('two writers (two instances) appending at once never fork the chain', async (t) => {
  const ctx = await buildTestApp(t);
  const pool = ctx.testDb.database.pool;
  if (!pool) {
    t.skip('needs the pg pool');
    return;
  }
  const a = new AuditWriter(ctx.db, pool);
  const b = new AuditWriter(ctx.db, pool);
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
  const rows = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from audit_events where action = 'two.writers'`);
  t.equal(Number(rows[0]!.n), n + 20, 'every acknowledged event is there exactly once');
  const chain = await verifyChain(ctx.db);
  t.ok(chain.ok, 'the chain verifies');
  t.ok(a.stats.reread + b.stats.reread > 2, `stale heads were detected and re-read (${a.stats.reread + b.stats.reread} re-reads)`);
  await Promise.all([a.close(), b.close()]);
});
