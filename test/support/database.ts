import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Database, MIGRATIONS_FOLDER, openDatabase } from '../../src/db/client.js';

/**
 * Where the tests' Postgres comes from, in this order:
 *  1. TEST_DATABASE_URL (what .ci/run sets): a fresh database per test file,
 *     cloned from a migrated template database;
 *  2. testcontainers, when a Docker engine answers (a contributor's laptop): `npm test`
 *     starts one container for the run (test/run.ts);
 *  3. the embedded PGlite, in memory, loaded from a migrated snapshot (pgliteSnapshot).
 */
export type DatabaseSource = 'TEST_DATABASE_URL' | 'testcontainers' | 'pglite';

export interface TestDatabase {
  source: DatabaseSource;
  database: Database;
  /** The connection string, for the real-server sources. */
  url?: string;
  /** Admin connection string to the server's maintenance database. */
  adminUrl?: string;
  drop(): Promise<void>;
}

function migrationsHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else h.update(name.name).update(readFileSync(p));
    }
  };
  walk(MIGRATIONS_FOLDER);
  return h.digest('hex').slice(0, 12);
}

function withDatabase(url: string, dbName: string): string {
  const u = new URL(url);
  u.pathname = `/${dbName}`;
  return u.toString();
}

const TEMPLATE_LOCK = 74_120_099;

async function ensureTemplate(adminUrl: string): Promise<string> {
  const template = `hetao_tpl_${migrationsHash()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [template]);
    if (!rowCount) {
      const building = `${template}_build_${randomBytes(3).toString('hex')}`;
      await admin.query(`create database "${building}"`);
      const db = await openDatabase({ url: withDatabase(adminUrl, building), poolMax: 1 });
      try {
        await db.migrate();
      } finally {
        await db.close();
      }
      await admin.query(`alter database "${building}" rename to "${template}"`);
      // Templates of older migration sets are of no further use.
      const old = await admin.query<{ datname: string }>(
        "select datname from pg_database where datname like 'hetao\\_tpl\\_%' and datname <> $1",
        [template],
      );
      for (const { datname } of old.rows) await admin.query(`drop database if exists "${datname}" with (force)`).catch(() => {});
    }
    await admin.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
  } finally {
    await admin.end();
  }
  return template;
}

async function cloneFromTemplate(adminUrl: string, source: DatabaseSource): Promise<TestDatabase> {
  const template = await ensureTemplate(adminUrl);
  const name = `hetao_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}" template "${template}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const database = await openDatabase({ url, poolMax: 10, connectTimeoutMs: 5000 });
  return {
    source,
    database,
    url,
    adminUrl,
    async drop() {
      await database.close().catch(() => {});
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      try {
        await a.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

let containerUrl: Promise<string | undefined> | undefined;

async function dockerAnswers(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    return Boolean(client);
  } catch {
    return false;
  }
}

/** A Postgres 15 container (testcontainers) when a Docker engine answers; its admin URL. */
export async function startContainer(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (!(await dockerAnswers())) return undefined;
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').start();
    return { url: withDatabase(container.getConnectionUri(), 'postgres'), stop: async () => void (await container.stop()) };
  } catch {
    return undefined;
  }
}

/**
 * Set by `npm test` (test/run.ts) for every test file: the source it decided once for the
 * whole run (and, for testcontainers, the one container's URL in TEST_DATABASE_URL).
 */
export const SOURCE_ENV = 'TEST_DATABASE_SOURCE';

let decided: Promise<DatabaseSource> | undefined;

/**
 * Which source this run uses, decided before any database is built: a file that needs a
 * real Postgres server asks this first and skips at once on PGlite.
 */
export function testDatabaseSource(): Promise<DatabaseSource> {
  // A file may ask for PGlite for one app (test/api/researchers/search.test.ts runs on both): not memoised.
  if (!process.env.TEST_DATABASE_URL && process.env.TEST_DATABASE === 'pglite') return Promise.resolve('pglite');
  decided ??= (async (): Promise<DatabaseSource> => {
    const told = process.env[SOURCE_ENV];
    if (process.env.TEST_DATABASE_URL) return told === 'testcontainers' ? 'testcontainers' : 'TEST_DATABASE_URL';
    if (told === 'pglite' || process.env.TEST_DATABASE === 'pglite') return 'pglite';
    // A file run on its own (npx tap file.test.ts): a container of this process's own, when Docker answers.
    containerUrl ??= startContainer().then((c) => c?.url);
    return (await containerUrl) ? 'testcontainers' : 'pglite';
  })();
  return decided;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A migrated PGlite data directory as a tarball, built once per migration set and PGlite
 * version and kept in the temp directory: loading it (~0.5 s) replaces initdb and every
 * migration (~3 s) in each test file. Written under another name and renamed, so a file
 * never reads half a snapshot.
 */
export async function pgliteSnapshot(): Promise<string> {
  const version = (JSON.parse(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string })
    .version;
  const prefix = 'hetao-pglite-snapshot-';
  const path = join(tmpdir(), `${prefix}${migrationsHash()}-${version}.tar`);
  if (existsSync(path)) return path;
  const database = await openDatabase({ dataDir: 'memory://' });
  try {
    await database.migrate();
    const client = (database.db as unknown as { $client: { dumpDataDir(c: 'none'): Promise<Blob> } }).$client;
    const tar = Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer());
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, tar);
    renameSync(partial, path);
  } finally {
    await database.close();
  }
  // Snapshots of older migration sets are of no further use.
  for (const name of readdirSync(tmpdir())) {
    if (name.startsWith(prefix) && name.endsWith('.tar') && join(tmpdir(), name) !== path) rmSync(join(tmpdir(), name), { force: true });
  }
  return path;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const source = await testDatabaseSource();
  if (source === 'TEST_DATABASE_URL') return cloneFromTemplate(process.env.TEST_DATABASE_URL!, source);
  if (source === 'testcontainers') return cloneFromTemplate(process.env.TEST_DATABASE_URL ?? (await containerUrl)!, source);
  const snapshot = await pgliteSnapshot();
  let database: Database;
  try {
    database = await openDatabase({ dataDir: 'memory://', loadDataDir: new Blob([readFileSync(snapshot)]) });
  } catch {
    // An unreadable snapshot (a disk that filled up): build afresh, and the next file a new snapshot.
    rmSync(snapshot, { force: true });
    database = await openDatabase({ dataDir: 'memory://' });
    await database.migrate();
  }
  return { source: 'pglite', database, drop: () => database.close() };
}
