// Two processes must never open one embedded database: the second would write into the
// directory behind the first's back and events would be lost (issue 18, item 1). The
// process that opens DATA_DIR holds DATA_DIR/.lock (its pid); another process is refused
// at once with a message that says what to do; a lock left by a dead process is taken
// over; closing the database (or exiting) releases it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DataDirInUseError, openDatabase } from '../../../src/db/client.js';
import { startServer } from '../../support/child-server.js';
import { runCliChild, STACK_FRAME } from '../../support/cli-child.js';

// Two child processes on the embedded database, each opening it from scratch.
t.setTimeout(240_000);

const IN_USE = /The embedded database in (\S+) is in use by another process \(pid (\d+), the server\?\)\. Stop it first, or use the API \(e\.g\. POST \/v1\/auth\/token\) while it runs; or set DATABASE_URL to use a shared Postgres\./;

/** The pid of a process that has exited (so is surely not running). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

t.test('in one process: the lock is held while open, refused twice, released on close; a dead pid is taken over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hetao-lock-'));
  const lock = join(dir, '.lock');
  const first = await openDatabase({ dataDir: dir });
  t.teardown(() => first.close());
  t.equal(readFileSync(lock, 'utf8').trim(), String(process.pid), 'DATA_DIR/.lock holds the pid');
  await t.rejects(openDatabase({ dataDir: dir }), DataDirInUseError, 'a second open of the same directory is refused');
  await first.close();
  t.notOk(existsSync(lock), 'closing releases it');

  writeFileSync(lock, `${deadPid()}\n`);
  const again = await openDatabase({ dataDir: dir });
  t.teardown(() => again.close());
  t.equal(readFileSync(lock, 'utf8').trim(), String(process.pid), 'a lock whose process is dead is taken over');
  await again.ping();
  await again.close();
  t.notOk(existsSync(lock));
});

t.test('a lock held by a live process refuses the open, naming that pid, and is left in place', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hetao-lock-'));
  const lock = join(dir, '.lock');
  // The parent of this test process is alive (tap's runner) and is not this process.
  writeFileSync(lock, `${process.ppid}\n`);
  const err = await openDatabase({ dataDir: dir }).then(
    async (db) => {
      await db.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  t.ok(err instanceof DataDirInUseError, 'refused');
  t.match((err as Error).message, IN_USE);
  t.equal((err as DataDirInUseError).pid, process.ppid, 'names the holder');
  t.equal(readFileSync(lock, 'utf8').trim(), String(process.ppid), "the holder's lock is untouched");
});

t.test('the CLI on the DATA_DIR of a running server: refused at once, no stack trace; after the server stops it works', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hetao-lock-'));
  const env = { DATABASE_URL: '', DATA_DIR: dataDir };
  const server = await startServer('', env, { readyTimeoutMs: 120_000 });
  t.teardown(() => server.kill());
  const serverPid = server.child.pid!;
  t.equal(readFileSync(join(dataDir, '.lock'), 'utf8').trim(), String(serverPid), 'the server holds DATA_DIR/.lock');

  const started = Date.now();
  const refused = await runCliChild(['token', '--username', 'demo-supervisor'], env);
  t.equal(refused.code, 1, `exit 1 (${refused.stderr.slice(0, 300)})`);
  t.equal(refused.stdout, '', 'no token printed');
  const m = IN_USE.exec(refused.stderr);
  t.ok(m, `the message says what to do: ${refused.stderr.trim()}`);
  t.equal(m?.[2], String(serverPid), "it names the server's pid");
  t.notMatch(refused.stderr, STACK_FRAME, 'no stack trace');
  t.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
  t.ok(Date.now() - started < 30_000, 'at once: it does not wait for the database');
  t.ok(server.alive(), 'the server runs on');
  const verify = await fetch(`${server.base}/health/ready`);
  t.equal(verify.status, 200, 'and still answers');

  // A graceful stop releases the lock; the CLI then opens the directory.
  server.child.kill('SIGTERM');
  await server.exited;
  t.notOk(existsSync(join(dataDir, '.lock')), 'the stopped server released the lock');
  // As a server killed outright (SIGKILL: no exit handler runs) would leave it.
  writeFileSync(join(dataDir, '.lock'), `${deadPid()}\n`);
  const ok = await runCliChild(['audit', 'verify'], env);
  t.equal(ok.code, 0, `the CLI works once the server has stopped, taking over a stale lock (${ok.stderr.slice(0, 300)})`);
  t.match(ok.stdout, /"ok":true/);
  t.notOk(existsSync(join(dataDir, '.lock')), 'the CLI released it on exit');
});
