// The operator CLI answers usage mistakes with its usage text and exit code 2, and
// `--help` after any command with the usage and 0: never a stack trace. None of these
// reach a database (a parse error is raised before one is opened).
import t from 'tap';
import { runCli } from '../../../src/cli/index.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

t.test('--help after a command prints the usage and succeeds', async (t) => {
  for (const argv of [['seed-demo', '--help'], ['import', '-h'], ['bootstrap', '--help'], ['help'], ['--help']]) {
    const c = capture();
    t.equal(await runCli(argv, c.io), 0, argv.join(' '));
    t.match(c.out.join('\n'), /^Usage: npm run cli -- <command>/, `${argv.join(' ')}: usage on stdout`);
    t.same(c.err, [], `${argv.join(' ')}: nothing on stderr`);
  }
});

t.test('an unknown option or a missing value names the problem, prints the usage, exits 2', async (t) => {
  // Every command refuses what it does not take, and answers with its own usage.
  const cases: [string[], RegExp, string][] = [
    [['token', '--username'], /^token: Option '--username <value>' argument missing/, 'token --username U'],
    [['token', '--user', 'x'], /^token: Unknown option '--user'/, 'token --username U'],
    [['bootstrap', '--user', 'x'], /^bootstrap: Unknown option '--user'/, 'bootstrap --username U'],
    [['migrate', '--bogus'], /^migrate: Unknown option '--bogus'$/m, 'migrate'],
    [['migrate', 'extra'], /^migrate: Unexpected argument 'extra'/, 'migrate'],
    [['audit', 'verify', '--x'], /^audit: Unknown option '--x'$/m, 'audit verify'],
    [['audit', 'check'], /^audit: unknown subcommand: check/, 'audit verify'],
    [['audit'], /^audit: needs a subcommand/, 'audit verify'],
    [['seed-demo', '--force'], /^seed-demo: Unknown option '--force'/, 'seed-demo'],
    [['import', '--institution', 'x', '--dry-run', 'f.csv'], /^import: Unknown option '--dry-run'/, 'import --institution ID FILE.csv'],
    [['import', '--institution', 'x'], /^import: needs the CSV file/, 'import --institution ID FILE.csv'],
    [['import', 'f.csv'], /^import: needs --institution ID/, 'import --institution ID FILE.csv'],
  ];
  for (const [argv, first, usage] of cases) {
    const c = capture();
    t.equal(await runCli(argv, c.io), 2, argv.join(' '));
    const text = c.err.join('\n');
    t.match(text, first, `${argv.join(' ')}: the problem first`);
    t.ok(text.includes(`usage: npm run cli -- ${usage}`), `${argv.join(' ')}: then its usage (${text})`);
    t.notMatch(text, /\n\s+at /, `${argv.join(' ')}: no stack trace`);
  }
});

t.test('seed-synthetic says where the seeder went: npm run bench:seed', async (t) => {
  const c = capture();
  t.equal(await runCli(['seed-synthetic', '--researchers', '1000'], c.io), 1);
  t.match(c.err.join('\n'), /^seed-synthetic: moved to the benchmark: npm run bench:seed -- --researchers N/);
  t.same(c.out, []);
});

t.test('an unknown command is refused with the usage', async (t) => {
  const c = capture();
  t.equal(await runCli(['frobnicate'], c.io), 2);
  t.match(c.err.join('\n'), /^unknown command: frobnicate/);
});
