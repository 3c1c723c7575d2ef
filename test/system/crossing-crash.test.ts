// Crash safety: the server, run as a child process, is SIGKILLed while crossings
// stream in. Every crossing is then there whole (lines, movements, audit event,
// idempotency record) or not at all, items agree with their ledger, the audit
// chain verifies, and retrying the lost requests with their keys neither loses
// nor duplicates a crossing. Needs a real Postgres server.
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { verifyChain } from '../../src/audit/chain.js';
import { queryRows } from '../../src/db/client.js';
import { createUser } from '../../src/modules/users/queries.js';
import { buildTestApp, TEST_PASSWORD } from '../support/app.js';
import { testDatabaseSource } from '../support/database.js';
import { insertItem, insertTraveller } from '../support/travellers.js';
import { freshKey } from '../support/desk.js';
import { type ChildServer, startServer } from '../support/child-server.js';

type Tap = Test;

// Decided before any database is built: on PGlite the file skips at once, saying why.
if ((await testDatabaseSource()) === 'pglite') {
  t.plan(0, 'crash-safety tests start the server as a child process on a shared Postgres: PGlite is in-process, so set TEST_DATABASE_URL');
} else {
  const ctx = await buildTestApp(t);
  const url = ctx.testDb.url!;
  const username = `crash-officer-${process.pid}`;
  const officer = await createUser(ctx.db, { username, password: TEST_PASSWORD, role: 'officer', checkpoint: 'LMC' });

  interface Kit {
    passport: string;
    laptopId: string;
    reagentId: string;
    direction: 'HK_TO_SZ' | 'SZ_TO_HK';
  }
  const kits: Kit[] = [];
  for (let i = 0; i < 8; i++) {
    const trav = await insertTraveller(ctx.db);
    const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', homeSide: 'HK', maxDaysAbroad: 30 });
    const reagent = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'reagent', quantity: 100_000 });
    kits.push({ passport: trav.passport, laptopId: laptop.id, reagentId: reagent.id, direction: 'HK_TO_SZ' });
  }

  const servers: ChildServer[] = [];
  t.teardown(async () => {
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) {
        s.child.kill('SIGKILL');
        await s.exited;
      }
    }
  });

  async function tokenFrom(base: string): Promise<string> {
    const res = await fetch(`${base}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username, password: TEST_PASSWORD }),
    });
    if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  interface Sent {
    key: string;
    body: string;
  }

  function post(base: string, token: string, path: string, body: string, key?: string) {
    return fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(key ? { 'idempotency-key': key } : {}) },
      body,
    });
  }

  /** Waits until no other session of this database is inside a statement or a transaction. */
  async function quiesce() {
    for (let i = 0; i < 100; i++) {
      const [row] = await queryRows<{ n: number | string }>(
        ctx.db,
        sql`select count(*) as n from pg_stat_activity
             where datname = current_database() and pid <> pg_backend_pid() and state is not null and state <> 'idle'`,
      );
      if (Number(row?.n) === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Every crossing whole, nothing half-written, items agreeing with their ledger, the chain intact. */
  async function checkConsistency(t: Tap) {
    await quiesce();
    const q = <T>(query: ReturnType<typeof sql>) => queryRows<T>(ctx.db, query);

    const lines = await q<{ id: string; n: number }>(sql`
      select c.id, (select count(*) from crossing_items ci where ci.crossing_id = c.id)::int as n
        from crossings c where (select count(*) from crossing_items ci where ci.crossing_id = c.id) <> 2`);
    t.same(lines, [], 'every crossing has both its lines');

    // A crossing's event is written to the journal with the crossing, and sealed into the
    // chain afterwards: each crossing has its event in one of the two, exactly once.
    const audits = await q<{ id: string }>(sql`
      with ev as (select subject from audit_events where action = 'crossing.decide'
                  union all select subject from audit_journal where action = 'crossing.decide')
      select c.id from crossings c
       where (select count(*) from ev where ev.subject = 'crossing:' || c.id::text) <> 1`);
    t.same(audits, [], 'every crossing has exactly one audit event, in the chain or in the journal');
    const orphanAudits = await q<{ subject: string }>(sql`
      with ev as (select subject from audit_events where action = 'crossing.decide'
                  union all select subject from audit_journal where action = 'crossing.decide')
      select subject from ev where not exists (select 1 from crossings c where 'crossing:' || c.id::text = ev.subject)`);
    t.same(orphanAudits, [], 'no audit event of a crossing that is not there');

    const keys = await q<{ id: string }>(sql`
      select c.id from crossings c
       where not exists (select 1 from idempotency_keys k where k.route = 'POST /v1/crossings' and k.response->>'id' = c.id::text)`);
    t.same(keys, [], 'every crossing has its stored first answer');
    const orphanKeys = await q<{ key: string }>(sql`
      select k.key from idempotency_keys k
       where k.route = 'POST /v1/crossings' and not exists (select 1 from crossings c where c.id::text = k.response->>'id')`);
    t.same(orphanKeys, [], 'no stored answer of a crossing that is not there');

    const wrongMoves = await q<{ id: string; decision: string; n: number }>(sql`
      select c.id, c.decision, (select count(*) from item_movements m where m.crossing_id = c.id)::int as n
        from crossings c
       where (c.decision = 'CLEARED' and (select count(*) from item_movements m where m.crossing_id = c.id) <> 2)
          or (c.decision = 'FLAGGED' and exists (select 1 from item_movements m where m.crossing_id = c.id))`);
    t.same(wrongMoves, [], 'CLEARED crossings moved both items; FLAGGED ones moved nothing');

    const laptops = await q<{ id: string }>(sql`
      select it.id from items it
        left join lateral (
          select m.to_side, m.return_by from item_movements m where m.item_id = it.id order by m.at desc, m.id desc limit 1
        ) last on true
       where it.category = 'equipment'
         and (it.current_side is distinct from coalesce(last.to_side, it.home_side) or it.return_by is distinct from last.return_by)`);
    t.same(laptops, [], 'each laptop is where its last movement put it');
    const reagents = await q<{ id: string }>(sql`
      select it.id from items it
       where it.category = 'reagent'
         and it.remaining_quantity <> it.quantity - coalesce((select sum(quantity) from item_movements m where m.item_id = it.id), 0)`);
    t.same(reagents, [], 'each reagent’s remaining quantity is what its draws left');

    const verified = await verifyChain(ctx.db);
    t.match(verified, { ok: true, firstBadSeq: null }, 'the audit chain verifies');
    return verified;
  }

  t.test('SIGKILL in the middle of a stream of crossings leaves each crossing whole or absent', async (t) => {
    const server = await startServer(url);
    servers.push(server);
    const token = await tokenFrom(server.base);

    const acked = new Map<string, { id: string; decision: string }>();
    const lost: Sent[] = [];
    let killed = false;
    const kill = () => {
      if (!killed) {
        killed = true;
        server.child.kill('SIGKILL');
      }
    };
    const killTimer = setTimeout(kill, 15_000); // in case the stream is slow

    const worker = async (kit: Kit) => {
      for (;;) {
        const key = freshKey();
        const body = JSON.stringify({
          checkpoint: 'LMC',
          direction: kit.direction,
          traveller: { document: { kind: 'passport', number: kit.passport } },
          items: [{ itemId: kit.laptopId }, { itemId: kit.reagentId, quantity: 1 }],
        });
        try {
          const res = await post(server.base, token, '/v1/crossings', body, key);
          const text = await res.text();
          if (res.status !== 201) throw new Error(`unexpected ${res.status} ${text}`);
          const c = JSON.parse(text) as { id: string; decision: string };
          acked.set(key, { id: c.id, decision: c.decision });
          kit.direction = kit.direction === 'HK_TO_SZ' ? 'SZ_TO_HK' : 'HK_TO_SZ';
        } catch (err) {
          if (!killed) throw err;
          lost.push({ key, body });
          return;
        }
      }
    };
    const lookups = async () => {
      for (;;) {
        try {
          await post(server.base, token, '/v1/clearance/lookup', JSON.stringify({ document: { kind: 'passport', number: kits[0]!.passport } }));
        } catch {
          return;
        }
      }
    };
    // Once the stream runs, kill the server at a moment when one of its transactions
    // has written (a transaction id is assigned) and not yet committed.
    let caughtMidWrite = 0;
    const killer = async () => {
      while (acked.size < 30 && !killed) await new Promise((r) => setTimeout(r, 5));
      const until = Date.now() + 5000;
      while (!killed && Date.now() < until) {
        const [row] = await queryRows<{ n: number | string }>(
          ctx.db,
          sql`select count(*) as n from pg_stat_activity
               where datname = current_database() and pid <> pg_backend_pid() and backend_xid is not null`,
        );
        if (Number(row?.n) > 0) {
          caughtMidWrite = Number(row?.n);
          break;
        }
      }
      kill();
    };
    await Promise.all([...kits.map(worker), lookups(), killer()]);
    clearTimeout(killTimer);
    const exit = await server.exited;
    t.equal(exit.signal, 'SIGKILL', 'the server was killed, not shut down');
    t.ok(acked.size >= 20, `crossings were acknowledged before the kill (${acked.size})`);
    t.ok(lost.length > 0, `requests were in flight when it died (${lost.length})`);
    t.comment(`${acked.size} crossings acknowledged, ${lost.length} in flight at the kill`);
    t.ok(caughtMidWrite > 0, `killed while ${caughtMidWrite} transaction(s) had written and not committed`);

    // Every acknowledged crossing is durable, as answered.
    const rows = await queryRows<{ id: string; decision: string }>(ctx.db, sql`select id, decision from crossings`);
    const stored = new Map(rows.map((r) => [r.id, r.decision]));
    const missing = [...acked.values()].filter((a) => stored.get(a.id) !== a.decision);
    t.same(missing, [], 'every acknowledged crossing is stored with its decision');
    t.ok([...acked.values()].some((a) => a.decision === 'CLEARED'));
    t.ok(rows.length > 0);
    const others = await queryRows<{ id: string }>(ctx.db, sql`select id from crossings where officer_id <> ${officer.id}::uuid`);
    t.same(others, [], 'recorded by the officer who signed in to the child');
    t.ok(rows.length >= acked.size && rows.length <= acked.size + lost.length, 'nothing but the sent crossings');

    await checkConsistency(t);
    const [left] = await queryRows<{ n: number | string }>(ctx.db, sql`select count(*) as n from audit_journal`);
    t.comment(`${Number(left?.n)} audit event(s) left in the journal by the killed server`);

    // Restart, and retry what was lost with the same keys: committed ones replay, the rest are made once.
    const again = await startServer(url);
    servers.push(again);
    const token2 = await tokenFrom(again.base);
    let replayed = 0;
    for (const s of lost) {
      const [prior] = await queryRows<{ id: string }>(
        ctx.db,
        sql`select response->>'id' as id from idempotency_keys where key = ${s.key} and route = 'POST /v1/crossings'`,
      );
      const res = await post(again.base, token2, '/v1/crossings', s.body, s.key);
      const text = await res.text();
      t.equal(res.status, 201, text);
      const c = JSON.parse(text) as { id: string };
      if (prior) {
        t.equal(res.headers.get('idempotent-replayed'), 'true', 'committed before the kill: replayed');
        t.equal(c.id, prior.id);
        replayed += 1;
      } else {
        t.equal(res.headers.get('idempotent-replayed'), null, 'lost with the kill: made now');
      }
    }
    t.comment(`${replayed} of the ${lost.length} lost requests had committed before the kill`);
    const total = await queryRows<{ n: number | string }>(ctx.db, sql`select count(*) as n from crossings`);
    t.equal(Number(total[0]?.n), acked.size + lost.length, 'one crossing per key: none lost, none twice');
    // The restarted server seals what the killed one left in the journal, by itself.
    let journal = Number.NaN;
    for (let i = 0; i < 100 && journal !== 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      const [row] = await queryRows<{ n: number | string }>(ctx.db, sql`select count(*) as n from audit_journal`);
      journal = Number(row?.n);
    }
    t.equal(journal, 0, 'the journal is sealed into the chain after the restart');
    await checkConsistency(t);

    again.child.kill('SIGTERM');
    const clean = await again.exited;
    t.ok(clean.code === 0 || clean.signal === 'SIGTERM', `a clean shutdown (${JSON.stringify(clean)}) ${again.stderr()}`);
  });
}
