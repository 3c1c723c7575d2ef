import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ConfigError, loadConfig, parseEnv } from '../../src/config.js';

/**
 * src/config.ts: the one reader of the environment. A bad value stops the start
 * with a ConfigError naming the variable; production refuses to start without its
 * secrets; outside production a JWT secret is generated once into DATA_DIR.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const tempDir = () => mkdtempSync(join(tmpdir(), 'hetao-config-'));
const SECRET = 's'.repeat(40);

function configError(fn: () => unknown): ConfigError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  return undefined;
}

t.test('defaults: an empty environment is a valid development configuration', async (t) => {
  const env = parseEnv({});
  t.match(env, { NODE_ENV: 'development', PORT: 3000, HOST: '127.0.0.1', LOG_LEVEL: 'info', TOKEN_TTL_SECONDS: 900, BODY_LIMIT_BYTES: 1048576 });
  t.equal(env.DATABASE_URL, undefined);
  t.equal(env.JWT_SECRET, undefined);
  t.equal(env.LOOKUP_SYNCHRONOUS_COMMIT, 'off', 'a lookup answers once its audit event has committed, without waiting for the flush');
  t.equal(parseEnv({ LOOKUP_SYNCHRONOUS_COMMIT: 'on' }).LOOKUP_SYNCHRONOUS_COMMIT, 'on');
});

const bad: Array<[string, Record<string, string>]> = [
  ['PORT', { PORT: 'eighty' }],
  ['PORT', { PORT: '70000' }],
  ['PORT', { PORT: '-1' }],
  ['PORT', { PORT: '80.5' }],
  ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
  ['LOG_LEVEL', { LOG_LEVEL: 'INFO ' }],
  ['JWT_SECRET', { JWT_SECRET: 'too-short-a-secret' }],
  ['JWT_SECRET', { JWT_SECRET: 'x'.repeat(31) }],
  ['DATABASE_URL', { DATABASE_URL: 'mysql://user:pw@db/hetao' }],
  ['DATABASE_URL', { DATABASE_URL: 'db.internal:5432' }],
  ['READ_DATABASE_URL', { READ_DATABASE_URL: 'http://replica' }],
  ['NODE_ENV', { NODE_ENV: 'staging' }],
  ['TOKEN_TTL_SECONDS', { TOKEN_TTL_SECONDS: '10' }],
  ['BODY_LIMIT_BYTES', { BODY_LIMIT_BYTES: '12' }],
  ['MIGRATE_ON_START', { MIGRATE_ON_START: 'yes' }],
  ['RANDOM_INSPECTION_RATE', { RANDOM_INSPECTION_RATE: '1.5' }],
  ['LOOKUP_SYNCHRONOUS_COMMIT', { LOOKUP_SYNCHRONOUS_COMMIT: 'sometimes' }],
  ['LOOKUP_SYNCHRONOUS_COMMIT', { LOOKUP_SYNCHRONOUS_COMMIT: 'OFF' }],
  ['CORS_ORIGINS', { CORS_ORIGINS: '*' }],
  ['CORS_ORIGINS', { CORS_ORIGINS: 'https://a.example, *' }],
  ['CORS_ORIGINS', { CORS_ORIGINS: 'a.example' }],
  ['CORS_ORIGINS', { CORS_ORIGINS: 'https://a.example/app' }],
];

for (const [variable, env] of bad) {
  t.test(`${JSON.stringify(env)} → ConfigError naming ${variable}`, async (t) => {
    const err = configError(() => parseEnv(env));
    t.ok(err, 'a ConfigError is thrown');
    t.ok(err?.issues.some((i) => i.startsWith(`${variable} `)), `an issue names ${variable}: ${JSON.stringify(err?.issues)}`);
    t.match(err?.message, new RegExp(`\\b${variable}\\b`), 'and so does the message');
    t.equal(err?.issues.length, 1, 'only the bad variable is named');
    t.equal(configError(() => loadConfig({ ...env, DATA_DIR: tempDir() }))?.issues.length, 1, 'loadConfig refuses it too');
  });
}

t.test('good values next to the bad ones pass', async (t) => {
  const env = parseEnv({ PORT: '0', LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgresql://u@h/db', READ_DATABASE_URL: 'postgres://u@r/db' });
  t.match(env, { PORT: 0, LOG_LEVEL: 'silent', JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgresql://u@h/db' });
});

t.test('every bad variable is named at once', async (t) => {
  const err = configError(() => parseEnv({ PORT: 'x', LOG_LEVEL: 'loud', JWT_SECRET: 'short', DATABASE_URL: 'mysql://h' }));
  t.same(err?.issues.map((i) => i.split(' ')[0]).sort(), ['DATABASE_URL', 'JWT_SECRET', 'LOG_LEVEL', 'PORT']);
});

t.test('a ConfigError does not echo the secret values it refuses', async (t) => {
  const err = configError(() => parseEnv({ JWT_SECRET: 'my-short-secret', DATABASE_URL: 'mysql://admin:hunter2@db/x' }));
  t.ok(err);
  t.notMatch(err!.message, /my-short-secret|hunter2/);
});

t.test('NODE_ENV=production without JWT_SECRET or DATABASE_URL → ConfigError naming both', async (t) => {
  const err = configError(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: tempDir() }));
  t.ok(err);
  t.same(err!.issues.map((i) => i.split(' ')[0]).sort(), ['DATABASE_URL', 'JWT_SECRET']);
  const onlySecret = configError(() => parseEnv({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' }));
  t.same(onlySecret?.issues.map((i) => i.split(' ')[0]), ['JWT_SECRET'], 'the secret alone');
  const onlyDb = configError(() => parseEnv({ NODE_ENV: 'production', JWT_SECRET: SECRET }));
  t.same(onlyDb?.issues.map((i) => i.split(' ')[0]), ['DATABASE_URL'], 'the database alone');
  const blank = configError(() => parseEnv({ NODE_ENV: 'production', JWT_SECRET: '   ', DATABASE_URL: '' }));
  t.equal(blank?.issues.length, 2, 'blank values count as missing');
});

t.test('NODE_ENV=production with its secrets: the given secret is used and nothing is written to DATA_DIR', async (t) => {
  const dir = tempDir();
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL: 'postgres://db/hetao', DATA_DIR: dir, PORT: '8080' });
  t.equal(config.env, 'production');
  t.equal(config.jwt.secret, SECRET);
  t.equal(config.port, 8080);
  t.equal(config.database.url, 'postgres://db/hetao');
  t.same(readdirSync(dir), [], 'no generated secret file');
});

t.test('outside production without JWT_SECRET: a secret is generated once into DATA_DIR (mode 0600) and reused', async (t) => {
  const dir = join(tempDir(), 'nested');
  const first = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
  t.ok(first.jwt.secret.length >= 32, 'a long secret');
  const file = join(dir, 'jwt-secret');
  t.ok(existsSync(file), 'kept in DATA_DIR/jwt-secret');
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by the owner only');
  t.equal(readFileSync(file, 'utf8').trim(), first.jwt.secret);
  const second = loadConfig({ NODE_ENV: 'development', DATA_DIR: dir });
  t.equal(second.jwt.secret, first.jwt.secret, 'the same secret after a restart');
  const other = loadConfig({ NODE_ENV: 'development', DATA_DIR: tempDir() });
  t.not(other.jwt.secret, first.jwt.secret, 'another DATA_DIR gets another secret');
});

t.test('CORS_ORIGINS is split into a list, and empty (CORS closed) by default', async (t) => {
  t.same(loadConfig({ JWT_SECRET: SECRET, DATA_DIR: tempDir() }).http.corsOrigins, []);
  t.same(loadConfig({ JWT_SECRET: SECRET, DATA_DIR: tempDir(), CORS_ORIGINS: 'https://a.example, https://b.example,' }).http.corsOrigins, ['https://a.example', 'https://b.example']);
});

function runServer(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; signal: string | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: REPO,
      // A clean environment: nothing of the test runner's DATABASE_URL or secrets leaks in.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdout.resume();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - started });
    });
  });
}

t.test('`node --import tsx src/server.ts` with NODE_ENV=production and no secrets exits non-zero, naming the variables', async (t) => {
  const dir = tempDir();
  const result = await runServer({ NODE_ENV: 'production', DATA_DIR: dir, PORT: '0' });
  t.not(result.code, 0, `exit code ${result.code}`);
  t.equal(result.code, 78, 'EX_CONFIG');
  t.ok(result.ms < 15_000, `exited in ${result.ms} ms`);
  t.match(result.stderr, /JWT_SECRET/, 'stderr names JWT_SECRET');
  t.match(result.stderr, /DATABASE_URL/, 'stderr names DATABASE_URL');
  t.same(readdirSync(dir), [], 'nothing was written to DATA_DIR');
});

t.test('the server refuses a bad PORT at start, naming it', async (t) => {
  const dir = tempDir();
  const result = await runServer({ NODE_ENV: 'development', DATA_DIR: dir, PORT: 'not-a-port', JWT_SECRET: SECRET });
  t.equal(result.code, 78, `exit code ${result.code}; ${result.stderr}`);
  t.match(result.stderr, /PORT/);
  t.same(readdirSync(dir), [], 'no database was created');
});
