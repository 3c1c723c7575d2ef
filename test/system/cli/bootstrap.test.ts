// `bootstrap` creates the first supervisor under the rules of POST /v1/users, with the
// password from HETAO_BOOTSTRAP_PASSWORD or a hidden prompt, never from the command line
// (issue 18, item 4); and the server's start log says how to bootstrap while no
// supervisor exists (item 11). Real child processes on one database throughout.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { buildApp } from '../../../src/app.js';
import { openDatabase } from '../../../src/db/client.js';
import { testConfig } from '../../support/app.js';
import { startServer } from '../../support/child-server.js';
import { childDatabaseEnv, runCliChild, STACK_FRAME } from '../../support/cli-child.js';

t.setTimeout(240_000);

const { env, kind } = await childDatabaseEnv(t);
const PASSWORD = 'a long supervisor password';
const HINT = /no supervisor account exists yet: create the first with `npm run cli -- bootstrap --username U`/;

async function serverLog(): Promise<string> {
  const server = await startServer(env.DATABASE_URL!, { ...env, LOG_LEVEL: 'info' }, { readyTimeoutMs: 120_000 });
  try {
    server.child.kill('SIGTERM');
    await server.exited;
    return server.stdout();
  } finally {
    await server.kill();
  }
}

t.test('a fresh database: the start log says how to create the first supervisor', async (t) => {
  const log = await serverLog();
  t.match(log, HINT, 'the hint is in the log');
  t.match(log, /HETAO_BOOTSTRAP_PASSWORD/, 'with where the password comes from');
  if (kind === 'pglite') t.match(log, /with the server stopped/, 'and, on the embedded database, to stop the server first');
});

t.test('a username or password the API would refuse: exit 1 with the rule, nothing created', async (t) => {
  const badName = await runCliChild(['bootstrap', '--username', 'Chief Officer'], { ...env, HETAO_BOOTSTRAP_PASSWORD: PASSWORD });
  t.equal(badName.code, 1, 'exit 1');
  t.match(badName.stderr, /^bootstrap: refused: username must be 3–64 characters: letters, digits, dot, underscore, @ or hyphen/, badName.stderr.trim());
  t.notMatch(badName.stderr, STACK_FRAME, 'no stack trace');

  const short = await runCliChild(['bootstrap', '--username', 'chief'], { ...env, HETAO_BOOTSTRAP_PASSWORD: 'short' });
  t.equal(short.code, 1, 'exit 1');
  t.match(short.stderr, /^bootstrap: refused: password must be at least 12 characters/, short.stderr.trim());
  t.notMatch(short.stderr, STACK_FRAME, 'no stack trace');
});

t.test('no password on the command line, and none without a terminal or the variable', async (t) => {
  const onLine = await runCliChild(['bootstrap', '--username', 'chief', '--password', PASSWORD], env);
  t.equal(onLine.code, 2, 'a usage mistake');
  t.match(onLine.stderr, /--password is not accepted: .*HETAO_BOOTSTRAP_PASSWORD/);
  t.match(onLine.stderr, /usage: npm run cli -- bootstrap --username U/);

  const none = await runCliChild(['bootstrap', '--username', 'chief'], env);
  t.equal(none.code, 2);
  t.match(none.stderr, /needs a password: set HETAO_BOOTSTRAP_PASSWORD, or run it in a terminal to type it at a hidden prompt/);
});

/** Runs bootstrap on a terminal (util-linux `script` gives it one), typing each answer when its prompt shows. */
function onTerminal(answers: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const cmd = `${process.execPath} --import tsx src/cli/index.ts bootstrap --username chief`;
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let prompts = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const seen = (output.match(/Password for the first supervisor|The same password again/g) ?? []).length;
      while (prompts < seen && prompts < answers.length) child.stdin.write(`${answers[prompts++]}\r`);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) t.comment('util-linux `script` is not installed: the hidden prompt is not exercised here');
else {
  t.test('on a terminal: the password is asked twice at a hidden prompt, and checked', async (t) => {
    const differ = await onTerminal(['first typed password', 'second typed password']);
    t.match(differ.output, /Password for the first supervisor/, 'it asks');
    t.notMatch(differ.output, /typed password/, 'what is typed is not echoed');
    t.match(differ.output, /the two passwords differ; nothing was created/);
    t.equal(differ.code, 1);

    const short = await onTerminal(['short', 'short']);
    t.notMatch(short.output, /short\r?\n/, 'not echoed');
    t.match(short.output, /password must be at least 12 characters/);
    t.equal(short.code, 1);
  });
}

t.test('the password from HETAO_BOOTSTRAP_PASSWORD: the supervisor is created and signs in; a second bootstrap is refused', async (t) => {
  const ok = await runCliChild(['bootstrap', '--username', 'Chief'], { ...env, HETAO_BOOTSTRAP_PASSWORD: PASSWORD });
  t.equal(ok.code, 0, `exit 0 (${ok.stderr.trim()})`);
  t.match(ok.stdout, /^created supervisor chief \(/, 'the username as the API stores it (lower case)');
  t.notMatch(ok.stdout + ok.stderr, PASSWORD, 'the password is not echoed');

  const again = await runCliChild(['bootstrap', '--username', 'deputy'], { ...env, HETAO_BOOTSTRAP_PASSWORD: PASSWORD });
  t.equal(again.code, 1);
  t.match(again.stderr, /a supervisor already exists/);

  // Sign in through the real token endpoint, on the same database (the CLI has exited).
  const database = await openDatabase(env.DATABASE_URL ? { url: env.DATABASE_URL, poolMax: 2 } : { dataDir: env.DATA_DIR! });
  const app = await buildApp({ config: testConfig(), database }, { logger: false });
  try {
    const res = await app.inject({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username: 'chief', password: PASSWORD } });
    t.equal(res.statusCode, 200, `chief signs in (${res.body.slice(0, 200)})`);
  } finally {
    await app.close();
    await database.close();
  }
});

t.test('once a supervisor exists, the start log no longer mentions bootstrap', async (t) => {
  const log = await serverLog();
  t.notMatch(log, /bootstrap/, 'no hint');
  t.match(log, /using (PostgreSQL|the embedded database)/, 'the log was read');
});
