// A failing CLI command says in one line what is wrong and what to do, and exits 1;
// --verbose adds the stack trace; options a command does not take are refused with its
// usage and exit 2 (issue 18, item 6). Real child processes, as an operator runs them.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { childDatabaseEnv, runCliChild, STACK_FRAME } from '../../support/cli-child.js';

t.setTimeout(240_000);

const dir = mkdtempSync(join(tmpdir(), 'hetao-cli-errors-'));
const csv = join(dir, 'staff.csv');
writeFileSync(csv, 'fullName,dateOfBirth\nCHAN TAI MAN,1985-04-12\n');

function oneLine(t: Test, stderr: string, what: string) {
  t.equal(stderr.trim().split('\n').length, 1, `${what}: one line (${stderr.trim()})`);
  t.notMatch(stderr, STACK_FRAME, `${what}: no stack trace`);
}

t.test('refusals before the database: one line, exit 1; --verbose adds the stack', async (t) => {
  const notAnId = await runCliChild(['import', '--institution', 'nope', csv]);
  t.equal(notAnId.code, 1, 'exit 1');
  t.match(notAnId.stderr, /^import: no institution has the id "nope": --institution takes an institution's id \(a UUID, as GET \/v1\/institutions lists them\)/);
  oneLine(t, notAnId.stderr, 'a bad institution id');

  const missing = await runCliChild(['import', '--institution', randomUUID(), join(dir, 'missing.csv')]);
  t.equal(missing.code, 1, 'exit 1');
  t.match(missing.stderr, /^import: no such file: .*missing\.csv$/m);
  oneLine(t, missing.stderr, 'a missing file');

  const verbose = await runCliChild(['import', '--institution', randomUUID(), join(dir, 'missing.csv'), '--verbose']);
  t.equal(verbose.code, 1);
  t.match(verbose.stderr, /^import: no such file: /, 'the same line first');
  t.match(verbose.stderr, STACK_FRAME, '--verbose: then the stack trace');

  const config = await runCliChild(['migrate'], { DATABASE_URL: 'mysql://nowhere' });
  t.equal(config.code, 1);
  t.match(config.stderr, /^migrate: the configuration is not valid: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
  oneLine(t, config.stderr, 'a bad configuration');

  const unreachable = await runCliChild(['migrate'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere', DB_CONNECT_TIMEOUT_MS: '1000' });
  t.equal(unreachable.code, 1);
  t.match(unreachable.stderr, /^migrate: cannot reach the database \(.*\): check DATABASE_URL and that the database is running/);
  oneLine(t, unreachable.stderr, 'an unreachable database');
});

t.test('unknown options: exit 2 with the usage of that command, before any database is opened', async (t) => {
  const migrate = await runCliChild(['migrate', '--bogus'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
  t.equal(migrate.code, 2);
  t.match(migrate.stderr, /^migrate: Unknown option '--bogus'\nusage: npm run cli -- migrate /);
  t.notMatch(migrate.stderr, STACK_FRAME);

  const audit = await runCliChild(['audit', 'verify', '--x'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
  t.equal(audit.code, 2);
  t.match(audit.stderr, /^audit: Unknown option '--x'\nusage: npm run cli -- audit verify /);
  t.notMatch(audit.stderr, STACK_FRAME);
});

t.test('with a database: an institution id that names none is one line, exit 1', async (t) => {
  const { env } = await childDatabaseEnv(t);
  const id = randomUUID();
  const res = await runCliChild(['import', '--institution', id, csv], env);
  t.equal(res.code, 1, 'exit 1');
  t.match(res.stderr, new RegExp(`^import: no institution has the id "${id}"`));
  oneLine(t, res.stderr, 'an unknown institution');
});
