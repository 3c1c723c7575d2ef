import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type Database, MIGRATIONS_FOLDER, openDatabase } from '../../src/db/client.js';

/**
 * Where the tests' Postgres comes from, in this order:
 *  1. TEST_DATABASE_URL (what .ci/run sets): a fresh database per test file,
 *     cloned from a migrated template database;
 *  2. testcontainers, when a Docker engine answers (a contributor's laptop);
 *  3. the embedded PGlite, in memory.
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

async function startContainer(): Promise<string | undefined> {
  if (!(await dockerAnswers())) return undefined;
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').start();
    return withDatabase(container.getConnectionUri(), 'postgres');
  } catch {
    return undefined;
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv) return cloneFromTemplate(fromEnv, 'TEST_DATABASE_URL');
  if (process.env.TEST_DATABASE !== 'pglite') {
    containerUrl ??= startContainer();
    const url = await containerUrl;
    if (url) return cloneFromTemplate(url, 'testcontainers');
  }
  const database = await openDatabase({ dataDir: 'memory://' });
  await database.migrate();
  return { source: 'pglite', database, drop: () => database.close() };
}
