// The audit journal and its sealer (src/audit/sealer.ts): a lookup's event is written to
// audit_journal by the lookup's own statement (a crossing's by its write); the sealer links journal rows
// into the chain in the order they were written and deletes them in the same transaction,
// so that every event is in one place or the other, once. Runs on Postgres and PGlite;
// the two-sealers test needs the pg pool.
import { sql } from 'drizzle-orm';
import t from 'tap';
import { appendAudit, verifyChain } from '../../../src/audit/chain.js';
import { AuditSealer } from '../../../src/audit/sealer.js';
import { type Db, queryRows } from '../../../src/db/client.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { sleep } from '../../support/http-calls.js';

/** Journal rows as a lookup's statement writes them (the lookup itself is tested in test/clearance). */
async function journal(db: Db, actions: string[], at = new Date('2026-12-07T09:00:00.250Z')): Promise<void> {
  for (const action of actions) {
    await queryRows(
      db,
      sql`insert into audit_journal (at, actor, role, action, subject, data)
          values (${at.toISOString()}::timestamptz, 'officer-1', 'officer', ${action}, ${`researcher:${action}`}, ${JSON.stringify({ action, checkpoint: 'LMC' })}::jsonb)`,
    );
  }
}

/** A test app whose own sealer has done its start-up seal (50 ms after it is ready) and is idle: no lookups run here. */
async function quietApp(t: Parameters<typeof buildTestApp>[0]): Promise<TestApp> {
  const ctx = await buildTestApp(t);
  await sleep(200);
  return ctx;
}

const journalCount = async (db: Db) => Number((await queryRows<{ n: number }>(db, sql`select count(*)::int as n from audit_journal`))[0]!.n);

t.test('sealing: journal rows enter the chain in the order they were written, as written, and leave the journal', async (t) => {
  const ctx = await quietApp(t);
  const sealer = new AuditSealer(ctx.db, 60_000);
  await sealer.sealAll(); // whatever the app wrote while starting
  const [before] = await queryRows<{ seq: number | null }>(ctx.db, sql`select max(seq) as seq from audit_events`);
  await journal(ctx.db, ['j.first', 'j.second', 'j.third']);
  t.equal(await journalCount(ctx.db), 3, 'fixture: three events in the journal');

  await sealer.sealAll();
  t.equal(await journalCount(ctx.db), 0, 'the journal is empty');
  const rows = await queryRows<{ seq: number | string; at: Date | string; actor: string; role: string; action: string; subject: string; data: unknown }>(
    ctx.db,
    sql`select seq, at, actor, role, action, subject, data from audit_events where seq > ${Number(before?.seq ?? 0)} order by seq`,
  );
  t.same(
    rows.map((r) => r.action),
    ['j.first', 'j.second', 'j.third'],
    'in the order written, right after the chain as it was',
  );
  t.same(rows.map((r) => Number(r.seq)), [1, 2, 3].map((i) => Number(before?.seq ?? 0) + i), 'contiguous sequence numbers');
  t.equal(new Date(rows[0]!.at).toISOString(), '2026-12-07T09:00:00.250Z', 'the time of the lookup, not of the seal');
  t.match(rows[1], { actor: 'officer-1', role: 'officer', subject: 'researcher:j.second' });
  t.same(typeof rows[1]!.data === 'string' ? JSON.parse(rows[1]!.data) : rows[1]!.data, { action: 'j.second', checkpoint: 'LMC' }, 'the data as written');
  t.match(await verifyChain(ctx.db), { ok: true, firstBadSeq: null }, 'the chain verifies');
  t.same({ seals: sealer.stats.seals >= 1, events: sealer.stats.events >= 3 }, { seals: true, events: true });

  await sealer.sealAll();
  t.equal((await queryRows(ctx.db, sql`select 1 from audit_events where action like 'j.%'`)).length, 3, 'sealing again seals nothing twice');
});

t.test('a head moved by another appender (a crossing, another instance) is linked to again', async (t) => {
  const ctx = await quietApp(t);
  const sealer = new AuditSealer(ctx.db, 60_000);
  await journal(ctx.db, ['m.before']);
  await sealer.sealAll(); // the sealer now remembers the head
  await appendAudit(ctx.db, { actor: 'system', role: 'system', action: 'm.other', data: {} });
  await journal(ctx.db, ['m.after1', 'm.after2']);
  const relinked = sealer.stats.relinked;
  await sealer.sealAll();
  t.ok(sealer.stats.relinked > relinked, 'the remembered head was stale: nothing written, linked again');
  const actions = (await queryRows<{ action: string }>(ctx.db, sql`select action from audit_events where action like 'm.%' order by seq`)).map((r) => r.action);
  t.same(actions, ['m.before', 'm.other', 'm.after1', 'm.after2'], 'each once, after the other appender’s event');
  t.match(await verifyChain(ctx.db), { ok: true });
  t.equal(await journalCount(ctx.db), 0);
});

t.test('kick: a lookup’s event is sealed in the background, soon after', async (t) => {
  const ctx = await quietApp(t);
  const sealer = new AuditSealer(ctx.db, 10);
  await journal(ctx.db, ['k.one']);
  sealer.kick();
  sealer.kick(); // coalesced
  const until = Date.now() + 5_000;
  while ((await journalCount(ctx.db)) > 0 && Date.now() < until) await sleep(20);
  t.equal(await journalCount(ctx.db), 0, 'sealed without anyone waiting for it');
  t.equal((await queryRows(ctx.db, sql`select 1 from audit_events where action = 'k.one'`)).length, 1);
  await sealer.close();
  await journal(ctx.db, ['k.closed']);
  sealer.kick();
  await sleep(100);
  t.equal(await journalCount(ctx.db), 1, 'a closed sealer seals no more (the next instance will)');
});

t.test('a seal that fails (the database away, a table missing) is tried again a second later, without another lookup', async (t) => {
  const ctx = await quietApp(t);
  const sealer = new AuditSealer(ctx.db, 10);
  await journal(ctx.db, ['f.waiting']);
  // The journal out of the sealer's reach: its statement fails.
  await queryRows(ctx.db, sql`alter table audit_journal rename to audit_journal_away`);
  sealer.kick();
  const until = Date.now() + 5_000;
  while (sealer.stats.failed === 0 && Date.now() < until) await sleep(10);
  t.equal(sealer.stats.failed, 1, 'the seal failed');
  await queryRows(ctx.db, sql`alter table audit_journal_away rename to audit_journal`);
  while ((await journalCount(ctx.db)) > 0 && Date.now() < until) await sleep(20);
  t.equal(await journalCount(ctx.db), 0, 'sealed by the retry, with no new kick');
  t.equal((await queryRows(ctx.db, sql`select 1 from audit_events where action = 'f.waiting'`)).length, 1);
  await sealer.close();
});

t.test('what an instance left in the journal when it died is sealed before the next audit read', async (t) => {
  const ctx = await quietApp(t);
  // Rows committed by lookups of an instance that was killed before its sealer ran.
  await journal(ctx.db, ['d.orphan1', 'd.orphan2']);
  const auditor = await ctx.caller('auditor');
  const page = await ctx.request({ method: 'GET', url: '/v1/audit-events?action=d.orphan2', token: auditor.token });
  t.equal(page.statusCode, 200);
  t.equal(page.json<{ items: unknown[] }>().items.length, 1, 'the audit log shows it');
  const verify = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: auditor.token });
  t.match(verify.json(), { ok: true, firstBadSeq: null });
  t.equal(await journalCount(ctx.db), 0, 'nothing left in the journal');
});

t.test('the journal refuses UPDATE and TRUNCATE: an event is written once and leaves only by being sealed', async (t) => {
  const ctx = await quietApp(t);
  await journal(ctx.db, ['r.kept']);
  /** The database's own message, under drizzle's "Failed query" wrapper. */
  const refusal = async (query: ReturnType<typeof sql>) => {
    try {
      await queryRows(ctx.db, query);
      return 'accepted';
    } catch (err) {
      const messages: string[] = [];
      for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) messages.push(e.message);
      return messages.join(' | ');
    }
  };
  t.match(await refusal(sql`update audit_journal set subject = 'researcher:someone-else'`), /only written and sealed: UPDATE is refused/);
  t.match(await refusal(sql`truncate audit_journal`), /only written and sealed: TRUNCATE is refused/);
  const [row] = await queryRows<{ subject: string }>(ctx.db, sql`select subject from audit_journal where action = 'r.kept'`);
  t.equal(row?.subject, 'researcher:r.kept', 'the row is as written');
});

t.test('two sealers (two instances) at once take each journal row once, and the chain does not fork', async (t) => {
  const ctx = await quietApp(t);
  if (!ctx.testDb.database.pool) {
    t.comment('two sealers at once need the pg pool: PGlite is one connection');
    return;
  }
  const a = new AuditSealer(ctx.db, 1, 25);
  const b = new AuditSealer(ctx.db, 1, 25);
  const n = 400;
  const writing = (async () => {
    for (let i = 0; i < n; i += 20) {
      await journal(ctx.db, Array.from({ length: 20 }, (_, k) => `two.${i + k}`));
      a.kick();
      b.kick();
    }
  })();
  // Both seal in the background (SKIP LOCKED) and in the foreground (waiting) while rows arrive.
  await Promise.all([writing, a.sealAll(), b.sealAll(), a.sealAll(), b.sealAll()]);
  await Promise.all([a.close(), b.close()]);
  const rows = await queryRows<{ action: string; n: number }>(ctx.db, sql`select action, count(*)::int as n from audit_events where action like 'two.%' group by action`);
  t.equal(rows.length, n, 'every event is in the chain');
  t.ok(rows.every((r) => Number(r.n) === 1), 'each once');
  t.equal(await journalCount(ctx.db), 0, 'the journal is empty');
  t.ok(a.stats.events > 0 && b.stats.events > 0, `both sealed some (${a.stats.events} + ${b.stats.events})`);
  t.match(await verifyChain(ctx.db), { ok: true, firstBadSeq: null }, 'one chain, verified');
});
