// The bench scripts answer --help with their usage (exit 0) and a mistyped option, a
// missing value or an unknown workload with the problem, then the usage (exit 2): never a
// stack trace. None of these reach a database: the options are read first.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, BENCH_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });

t.test('--help prints the usage and succeeds', async (t) => {
  const scripts = [
    ['bench/run.ts', /^Usage: npm run bench/],
    ['bench/profile.ts', /^Usage: npx tsx bench\/profile.ts/],
    ['bench/seed/main.ts', /^Usage: npm run bench:seed -- --researchers N/],
    ['bench/desk.ts', /^Usage: npm run bench:desk -- \[--researchers N\] \[--scans K\]/],
  ] as const;
  for (const [script, usage] of scripts) {
    for (const flag of ['--help', '-h']) {
      const r = run(script, flag);
      t.equal(r.status, 0, `${script} ${flag}`);
      t.match(r.stdout, usage, `${script} ${flag}: the usage on stdout`);
      t.equal(r.stderr, '', `${script} ${flag}: nothing on stderr`);
    }
  }
});

t.test('a usage mistake names itself, prints the usage, exits 2', async (t) => {
  const cases: [string, string[], RegExp, RegExp][] = [
    ['bench/run.ts', ['--bogus'], /^Unknown option '--bogus'/, /Usage: npm run bench/],
    ['bench/run.ts', ['--rounds'], /^Option '--rounds <value>' argument missing/, /Usage: npm run bench/],
    ['bench/run.ts', ['--lookup-synchronous-commit', 'sometimes'], /^--lookup-synchronous-commit must be one of off, local, remote_write, on, remote_apply \(got "sometimes"\)/, /Usage: npm run bench/],
    ['bench/profile.ts', ['--workload', 'nope'], /^--workload must be one of lookup, crossing, pg \(got "nope"\)/, /Usage: npx tsx bench\/profile.ts/],
    ['bench/profile.ts', ['--cpuprof'], /^Unknown option '--cpuprof'/, /Usage: npx tsx bench\/profile.ts/],
    ['bench/seed/main.ts', ['--researchers', '10', '--bogus'], /^Unknown option '--bogus'/, /Usage: npm run bench:seed/],
    ['bench/desk.ts', ['--bogus'], /^Unknown option '--bogus'/, /Usage: npm run bench:desk/],
    ['bench/seed/main.ts', ['--researchers'], /^Option '--researchers <value>' argument missing/, /Usage: npm run bench:seed/],
    ['bench/seed/main.ts', ['--reset'], /^--researchers N is required/, /Usage: npm run bench:seed/],
  ];
  for (const [script, args, first, usage] of cases) {
    const r = run(script, ...args);
    const what = `${script} ${args.join(' ')}`;
    t.equal(r.status, 2, what);
    t.match(r.stderr, first, `${what}: the problem first`);
    t.match(r.stderr, usage, `${what}: then the usage`);
    t.notMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
  }
});
