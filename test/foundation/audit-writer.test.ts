import t from 'tap';
import { verifyChain } from '../../src/audit/chain.js';
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
