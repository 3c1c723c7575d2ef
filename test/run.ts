/**
 * `npm test [-- tap arguments]`: decides once where the tests' Postgres comes from
 * (test/support/database.ts), prepares it once for the whole run (a migrated PGlite
 * snapshot, or one testcontainers Postgres), runs tap with the decision in the
 * environment, and closes with which database the run used and what was skipped, and why.
 * tap's own `# { total: N, pass: M }` line is printed as it is (.ci/run reads it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatabaseSource, pgliteSnapshot, SOURCE_ENV, startContainer } from './support/database.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Skip {
  /** The file, then the subtests down to the skipped test or assertion. */
  path: string[];
  reason: string;
}

/** Every `# SKIP` in a TAP stream (at any depth), named by its file and subtests. */
export function skipsOf(tap: string): Skip[] {
  const skips: Skip[] = [];
  const parents: string[] = [];
  for (const line of tap.split('\n')) {
    const indent = /^ */.exec(line)![0].length;
    const depth = Math.floor(indent / 4);
    const subtest = /^\s*# Subtest: (.*)$/.exec(line);
    if (subtest) {
      parents.length = depth;
      parents[depth] = subtest[1]!;
      continue;
    }
    const point = /^\s*(?:not )?ok \d+(?: - (.*?))? # SKIP\b ?(.*)$/.exec(line);
    if (point) skips.push({ path: [...parents.slice(0, depth), point[1] ?? '(unnamed)'], reason: point[2]?.trim() || 'no reason given' });
  }
  return skips;
}

function describeSource(source: DatabaseSource, url: string | undefined): string {
  const where = () => {
    try {
      const u = new URL(url!);
      return `${u.hostname}:${u.port || 5432}`;
    } catch {
      return 'the server';
    }
  };
  switch (source) {
    case 'TEST_DATABASE_URL':
      return `PostgreSQL at ${where()} (TEST_DATABASE_URL): each test file on its own database, cloned from a migrated template`;
    case 'testcontainers':
      return 'PostgreSQL 15 in a container started for this run (testcontainers): each test file on its own database';
    case 'pglite':
      return 'the embedded PGlite, in memory in each test process, loaded from a migrated snapshot (no TEST_DATABASE_URL, no Docker engine): files that need a real Postgres server skip';
  }
}

async function main(): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  let source: DatabaseSource;
  let stopContainer: (() => Promise<void>) | undefined;
  if (env.TEST_DATABASE_URL) {
    source = 'TEST_DATABASE_URL';
  } else if (env.TEST_DATABASE === 'pglite') {
    source = 'pglite';
  } else {
    // One container for the whole run, not one per test file (each file is its own process).
    const container = await startContainer();
    if (container) {
      source = 'testcontainers';
      env.TEST_DATABASE_URL = container.url;
      stopContainer = container.stop;
    } else {
      source = 'pglite';
    }
  }
  env[SOURCE_ENV] = source;
  if (source === 'pglite') await pgliteSnapshot();
  const described = describeSource(source, env.TEST_DATABASE_URL);
  console.log(`# database: ${described}`);

  // tap's reporter for a terminal, its TAP stream otherwise (CI); either way the raw TAP is read here.
  const tty = process.stdout.isTTY;
  const dir = mkdtempSync(join(tmpdir(), 'hetao-tap-'));
  const tapFile = join(dir, 'run.tap');
  const args = [...(tty ? [`--output-file=${tapFile}`] : []), ...process.argv.slice(2)];
  const child = spawn(join(ROOT, 'node_modules/.bin/tap'), args, { cwd: ROOT, env, stdio: ['inherit', tty ? 'inherit' : 'pipe', 'inherit'] });
  let tap = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    tap += chunk.toString();
    process.stdout.write(chunk);
  });
  // Ctrl-C reaches tap too (same process group): wait for it, then clean up.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  const code = await new Promise<number>((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  if (tty) tap = readFileSync(tapFile, { encoding: 'utf8', flag: 'a+' });
  rmSync(dir, { recursive: true, force: true });
  if (stopContainer) await stopContainer().catch(() => {});

  const skips = skipsOf(tap);
  const files = skips.filter((s) => s.path.length === 1);
  const tests = skips.filter((s) => s.path.length > 1);
  console.log('');
  console.log(`# database: ${described}`);
  console.log(`# skipped: ${files.length} file${files.length === 1 ? '' : 's'}, ${tests.length} test${tests.length === 1 ? '' : 's'}${skips.length ? ':' : ''}`);
  for (const s of skips) console.log(`#   ${s.path.join(' > ')}: ${s.reason}`);
  return code;
}

process.exitCode = await main();
