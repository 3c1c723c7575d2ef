import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_JWT_SECRET } from './app.js';
import { createTestDatabase } from './database.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node --import tsx src/cli/index.ts …` (what `npm run cli --` runs) as its own
 * process, with stdin closed (not a terminal), and waits for its exit.
 */
export function runCliChild(args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? tmpdir(),
        NODE_ENV: 'test',
        JWT_SECRET: TEST_JWT_SECRET,
        DATA_DIR: mkdtempSync(join(tmpdir(), 'hetao-cli-')),
        LOG_LEVEL: 'silent',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A stack trace's frames ("    at f (file:1:2)"). */
export const STACK_FRAME = /\n\s+at \S/;

interface Tap {
  teardown(fn: () => unknown): void;
  comment(...args: unknown[]): void;
}

/**
 * The database a child process uses: a fresh Postgres database cloned from the migrated
 * template when TEST_DATABASE_URL (or Docker) gives one, else a fresh embedded DATA_DIR.
 * The test process itself does not open an embedded one (two processes cannot share it).
 */
export async function childDatabaseEnv(t: Tap): Promise<{ env: Record<string, string>; kind: 'postgres' | 'pglite' }> {
  if (process.env.TEST_DATABASE_URL) {
    const testDb = await createTestDatabase();
    t.teardown(() => testDb.drop());
    t.comment(`database: ${testDb.source}`);
    // The test's own pool is not needed: the children connect by URL.
    await testDb.database.close();
    return { env: { DATABASE_URL: testDb.url!, DATA_DIR: mkdtempSync(join(tmpdir(), 'hetao-cli-')) }, kind: 'postgres' };
  }
  t.comment('database: an embedded DATA_DIR per child (set TEST_DATABASE_URL for Postgres)');
  return { env: { DATABASE_URL: '', DATA_DIR: mkdtempSync(join(tmpdir(), 'hetao-cli-')) }, kind: 'pglite' };
}
