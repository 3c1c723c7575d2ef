// Crash safety of the bulk import, and graceful shutdown. The server runs as a
// child process (the real entry point). It is SIGKILLed while a 20,000-row CSV
// import is writing: afterwards the import is there whole or not at all — the
// institution has +20,000 researchers or the same number as before, no identity
// document or audit event is left without its researcher — and the audit chain
// verifies; the restarted server imports the same rows again without finding any
// of them taken. Then SIGTERM while requests are in flight: each of them gets its
// 200/201 and the process exits 0, at once. (SIGKILL in the middle of crossings is
// test/system/crossing-crash.test.ts.) Needs a real Postgres server.
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import pg from 'pg';
import { verifyChain } from '../../src/audit/chain.js';
import { queryRows } from '../../src/db/client.js';
import { createUser } from '../../src/modules/users/queries.js';
import { buildTestApp, TEST_PASSWORD } from '../support/app.js';
import { testDatabaseSource } from '../support/database.js';
import { insertTraveller } from '../support/travellers.js';
import { insertInstitution } from '../support/records.js';
import { importCsv } from '../support/documents.js';
import { type Answer, call, sleep } from '../support/http-calls.js';
import { type ChildServer, startServer } from '../support/child-server.js';

// Decided before any database is built: on PGlite the file skips at once, saying why.
if ((await testDatabaseSource()) === 'pglite') {
  t.plan(0, 'crash-safety tests SIGKILL a child server on a shared Postgres: PGlite is in-process, so set TEST_DATABASE_URL');
} else {
  const ctx = await buildTestApp(t);
  const url = ctx.testDb.url!;
  const supName = `crash-import-sup-${process.pid}`;
  const offName = `crash-import-off-${process.pid}`;
  await createUser(ctx.db, { username: supName, password: TEST_PASSWORD, role: 'supervisor' });
  await createUser(ctx.db, { username: offName, password: TEST_PASSWORD, role: 'officer', checkpoint: 'LMC' });
  const inst = await insertInstitution(ctx.db);
  const servers: ChildServer[] = [];
  t.teardown(async () => {
    for (const s of servers) await s.kill();
  });

  // At info the server logs "incoming request" for each request it has received: how the
  // SIGTERM test knows that its requests are in the server's hands before it signals.
  const start = async () => {
    const s = await startServer(url, { LOG_LEVEL: 'info' });
    servers.push(s);
    return s;
  };
  const tokenOf = async (base: string, username: string) => {
    const res = await call(base, 'POST', '/v1/auth/token', { body: { grant_type: 'password', username, password: TEST_PASSWORD } });
    if (res.status !== 200) throw new Error(`token ${res.status} ${res.text}`);
    return (JSON.parse(res.text) as { access_token: string }).access_token;
  };
  const count = async (query: ReturnType<typeof sql>) => Number((await queryRows<{ n: number | string }>(ctx.db, query))[0]?.n ?? 0);
  const researchersOf = () => count(sql`select count(*) as n from researchers where institution_id = ${inst.id}::uuid`);

  /** Waits until no other session of this database is inside a statement or a transaction (the killed one has rolled back). */
  async function quiesce() {
    for (let i = 0; i < 200; i++) {
      const busy = await count(sql`select count(*) as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and state is not null and state <> 'idle'`);
      if (busy === 0) return;
      await sleep(50);
    }
    throw new Error('the database did not go quiet');
  }

  /** Nothing half-written: no document, audit event or stored answer without its researcher, and the chain verifies. */
  async function checkWhole(t: Test) {
    await quiesce();
    t.equal(await count(sql`select count(*) as n from identity_documents d where not exists (select 1 from researchers r where r.id = d.researcher_id)`), 0, 'no identity document without its researcher');
    t.equal(await count(sql`select count(*) as n from researchers r where r.institution_id = ${inst.id}::uuid and not exists (select 1 from identity_documents d where d.researcher_id = r.id)`), 0, 'no researcher without a document');
    // Hash joins on the subject, so that 20,000 researchers check in milliseconds.
    t.equal(
      await count(sql`select count(*) as n from audit_events a left join researchers r on a.subject = 'researcher:' || r.id::text
                        where a.action = 'researcher.nominate' and r.id is null`),
      0,
      'no nomination event of a researcher who is not there',
    );
    t.equal(
      await count(sql`select count(*) as n from researchers r
                        left join (select subject, count(*) as c from audit_events where action = 'researcher.nominate' group by subject) a
                          on a.subject = 'researcher:' || r.id::text
                        where r.institution_id = ${inst.id}::uuid and coalesce(a.c, 0) <> 1`),
      0,
      'every researcher has exactly one nomination event',
    );
    const verified = await verifyChain(ctx.db);
    t.match(verified, { ok: true, firstBadSeq: null }, `the audit chain verifies (${verified.count} events)`);
  }

  let restarted: ChildServer | undefined;

  t.test('SIGKILL in the middle of a 20,000-row CSV import: all or nothing; a restart finds nothing half-written', async (t) => {
    const server = await start();
    const sup = await tokenOf(server.base, supName);
    const rows = 20_000;
    const { text } = importCsv(rows, 'KX');
    const key = `crash-import-${process.pid}`;
    const before = await researchersOf();
    const documentsBefore = await count(sql`select count(*) as n from identity_documents`);
    const send = (base: string) =>
      call(base, 'POST', `/v1/institutions/${inst.id}/researchers/import`, {
        token: sup,
        body: text,
        headers: { 'content-type': 'text/csv', 'idempotency-key': key },
        timeoutMs: 60_000,
      });

    const inFlight = send(server.base);
    // Kill once the import's transaction has written (it has a transaction id) and not committed.
    let caught: { query: string; state: string } | undefined;
    const deadline = Date.now() + 30_000;
    while (!caught && Date.now() < deadline) {
      const [row] = await queryRows<{ query: string; state: string }>(
        ctx.db,
        sql`select left(query, 60) as query, state from pg_stat_activity
             where datname = current_database() and pid <> pg_backend_pid() and backend_xid is not null limit 1`,
      );
      if (row) caught = row;
      else await sleep(10);
    }
    server.child.kill('SIGKILL');
    const answer: Answer = await inFlight;
    const exit = await server.exited;
    t.equal(exit.signal, 'SIGKILL', 'the server was killed');
    t.ok(caught, 'the kill came while the import transaction had written and not committed');
    t.comment(`killed during: ${caught?.state} ${JSON.stringify(caught?.query)}`);
    t.ok(answer.error !== undefined, `the client saw the connection drop, not an answer (${answer.status} ${answer.error ?? ''})`);

    await quiesce();
    const after = await researchersOf();
    t.ok(after === before || after === before + rows, `researchers: ${before} before, ${after} after — all or nothing`);
    t.equal(after, before, 'killed before the commit: nothing of it is there');
    const documentsAfter = await count(sql`select count(*) as n from identity_documents`);
    t.equal(documentsAfter - documentsBefore, after - before, 'documents moved with their researchers, one each');
    t.equal(await count(sql`select count(*) as n from idempotency_keys where key = ${key}`), 0, 'no stored answer for a request that did not commit');
    await checkWhole(t);

    // Restart: the service is back, and nothing of the killed import stands in the way. Had any of its
    // documents been left behind, re-importing them would be refused as DOCUMENT_ALREADY_REGISTERED.
    restarted = await start();
    const sup2 = await tokenOf(restarted.base, supName);
    const head = importCsv(500, 'KX');
    const again = await call(restarted.base, 'POST', `/v1/institutions/${inst.id}/researchers/import`, {
      token: sup2,
      body: head.text,
      headers: { 'content-type': 'text/csv' },
    });
    t.equal(again.status, 201, `after the restart the first 500 rows of the same file import cleanly (${again.text.slice(0, 300)})`);
    t.equal(await researchersOf(), after + 500);
    await checkWhole(t);
  });

  t.test('SIGTERM with requests in flight: every one completes, then the process exits 0 at once', async (t) => {
    const server = restarted?.alive() ? restarted : await start();
    const sup = await tokenOf(server.base, supName);
    const officer = await tokenOf(server.base, offName);
    const traveller = await insertTraveller(ctx.db);
    const before = await researchersOf();
    const { text } = importCsv(3000, 'TX');

    // Hold the audit chain's lock (the head row): every request that appends an event (the import, the
    // lookups, the checkpoint creations) is then stuck in the server when the signal comes.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    t.teardown(() => holder.end().catch(() => {}));
    await holder.query('begin');
    await holder.query('select seq from audit_head for update');

    const logged = () => server.stdout().split('\n').filter((l) => l.includes('"msg":"incoming request"')).length;
    const receivedBefore = logged();
    const requests: { expect: number; answer: Promise<Answer> }[] = [
      {
        expect: 201,
        answer: call(server.base, 'POST', `/v1/institutions/${inst.id}/researchers/import`, {
          token: sup,
          body: text,
          headers: { 'content-type': 'text/csv' },
          timeoutMs: 30_000,
        }),
      },
    ];
    for (let i = 0; i < 6; i++) {
      requests.push({
        expect: 200,
        answer: call(server.base, 'POST', '/v1/clearance/lookup', { token: officer, body: { document: { kind: 'passport', number: traveller.passport } } }),
      });
      requests.push({
        expect: 201,
        answer: call(server.base, 'POST', '/v1/checkpoints', { token: sup, body: { code: `TERM${i}${process.pid % 100}`, name: 'Drain', nameZh: '排' } }),
      });
    }
    const waitingOnLock = () =>
      count(sql`select count(*) as n from pg_stat_activity
                 where datname = current_database() and wait_event_type = 'Lock' and wait_event in ('transactionid', 'tuple')`);
    // The import, the six creations and the lookups' group commit queue up behind the lock.
    for (let i = 0; i < 1000 && (logged() - receivedBefore < requests.length || (await waitingOnLock()) < 8); i++) await sleep(10);
    t.equal(logged() - receivedBefore, requests.length, 'the server has received every request');
    t.ok((await waitingOnLock()) >= 8, 'the import, the creations and the lookups are waiting inside their transactions');

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await sleep(300);
    t.ok(server.alive(), 'the process waits for its in-flight requests');
    await holder.query('commit');
    const answers = await Promise.all(requests.map((r) => r.answer));
    const answeredAt = Date.now();
    // Drained means done: give it 3 s after the last answer (then kill it, to keep the suite's time bounded).
    const exit = await Promise.race([server.exited, sleep(3000).then(() => undefined)]);
    const lingered = Date.now() - answeredAt;
    if (!exit) await server.kill();
    t.comment(`${answers.length} requests in flight; exit ${Date.now() - signalledAt} ms after SIGTERM, ${lingered} ms after the last answer`);
    t.same(
      answers.map((a) => a.error ?? a.status),
      requests.map((r) => r.expect),
      'each in-flight request got its answer: the import 201, lookups 200, creations 201',
    );
    t.same(exit, { code: 0, signal: null }, `the process exited 0 within 3 s of its last answer (${exit ? JSON.stringify(exit) : 'still running: killed'}) ${server.stderr().slice(0, 500)}`);
    // Not left waiting for the clients to drop their keep-alive connections (keepAliveTimeout is 10 s).
    t.ok(lingered < 2000, `the process exited ${lingered} ms after the last in-flight answer (< 2000 ms)`);
    await quiesce();
    t.equal(await researchersOf(), before + 3000, 'the drained import committed whole');
    await checkWhole(t);
  });
}
