import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ExtractTablesWithRelations, type SQL, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { isDatabaseUnavailable } from './errors.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** The database handle, whether it is a pg pool or the embedded PGlite. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Query functions take either the database or a transaction as their first argument. */
export type Conn = Db | Tx;

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface DatabaseOptions {
  url?: string | undefined;
  readUrl?: string | undefined;
  /** Where PGlite keeps its files when no url is given; 'memory://' keeps nothing. */
  dataDir?: string;
  /** PGlite only: start from this data directory tarball (dumpDataDir) instead of an empty cluster (tests). */
  loadDataDir?: Blob;
  poolMax?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
}

export interface Database {
  kind: 'postgres' | 'pglite';
  /** Primary: every write, and reads that must see the latest state. */
  db: Db;
  /** Reads that may be served by a replica (READ_DATABASE_URL); the primary otherwise. */
  readDb: Db;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  /** Runs pending migrations under an advisory lock. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** The underlying pg pool (postgres only), for the few hot paths that use raw SQL. */
  pool?: pg.Pool;
}

// Parse DATE columns as plain 'YYYY-MM-DD' strings (pg's default builds a local-time Date).
pg.types.setTypeParser(1082, (v: string) => v);
// bigint counts and sequences fit in a double here.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** Any key; the same number for every instance so that migrations never run twice at once. */
export const MIGRATION_LOCK_KEY = 74_120_001;

function makePool(url: string, opts: DatabaseOptions, role: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolMax ?? 10,
    // Two connections stay open through quiet spells (the others close after 30 s idle): the
    // first lookups after a quiet night do not pay for a new backend and for preparing the
    // lookup's statements again.
    min: Math.min(2, opts.poolMax ?? 10),
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 2000,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs ?? 15_000,
    application_name: `${opts.applicationName ?? 'hetao-clearance'}${role}`,
    // The statements run here are short: no JIT, which compiles any plan whose estimate is
    // large — the crossings' batch statement, whose JSON record sets the planner guesses at
    // 100 rows each, took 0.8 s of LLVM compilation for 1 ms of work. And a named (prepared)
    // statement keeps its generic plan: otherwise Postgres may plan a statement again at
    // every execution when a custom plan looks cheaper (the crossing's read: 2 ms of planning
    // for 0.3 ms of work). Unnamed statements (everything else) are planned each time anyway.
    options: '-c jit=off -c plan_cache_mode=force_generic_plan',
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => {});
  // A checked-out client (inside a transaction) has no listener of the pool's: its
  // connection dying would be an unhandled 'error' event and take the process down.
  // The error still reaches the query in flight; the pool drops the dead client on release.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

/**
 * A connection that goes silent (a partition: no RST ever arrives) would keep every
 * query on it waiting for as long as TCP keeps the socket, and no client-side query
 * timeout can tell that apart from a legitimate wait on a lock. A watchdog on its own
 * connection pings every `intervalMs`; when a ping misses its deadline, every socket
 * of the pool is destroyed, so the queries on them fail at once (503) and the pool
 * reconnects when the database is back.
 */
function watchPool(url: string, pool: pg.Pool, opts: DatabaseOptions, intervalMs = 500, deadlineMs = 1000): () => void {
  const clients = new Set<pg.PoolClient>();
  pool.on('connect', (c) => clients.add(c));
  pool.on('remove', (c) => clients.delete(c));
  let probe: pg.Client | undefined;
  let stopped = false;
  const drop = (c: pg.Client) => (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  const tick = async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('watchdog deadline')), deadlineMs);
      });
      if (!probe) {
        const c = new pg.Client({ connectionString: url, application_name: `${opts.applicationName ?? 'hetao-clearance'}:watchdog` });
        c.on('error', () => {});
        probe = c;
        await Promise.race([c.connect(), deadline]);
      }
      await Promise.race([probe.query('select 1'), deadline]);
    } catch {
      if (probe) drop(probe);
      probe = undefined;
      for (const c of clients) drop(c);
    } finally {
      clearTimeout(timer);
      if (!stopped) setTimeout(() => void tick(), intervalMs).unref();
    }
  };
  setTimeout(() => void tick(), intervalMs).unref();
  return () => {
    stopped = true;
    if (probe) void probe.end().catch(() => {});
  };
}

/**
 * drizzle's node-postgres transaction() runs BEGIN outside its try/finally (a failed
 * BEGIN leaks the pool client for good) and always releases without the error (a
 * client whose connection broke goes back to the pool). Run each transaction on a
 * client checked out here, released on every path, and destroyed when it failed at
 * the connection level (drizzle-orm#6241, #6114).
 */
function poolDb(pool: pg.Pool): Db {
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  const transaction: Db['transaction'] = async (work, config) => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      // No relational schema here: building it walks every table, per transaction, and
      // nothing uses drizzle's relational queries.
      return await (drizzlePg(client) as unknown as Db).transaction(work, config);
    } catch (err) {
      if (isDatabaseUnavailable(err)) broken = err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  };
  return Object.assign(db, { transaction });
}

/** A second process opening the embedded database of a DATA_DIR in use. */
export class DataDirInUseError extends Error {
  constructor(
    public readonly dataDir: string,
    public readonly pid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by another process (pid ${pid}, the server?). Stop it first, ` +
        'or use the API (e.g. POST /v1/auth/token) while it runs; or set DATABASE_URL to use a shared Postgres.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** The DATA_DIRs this process holds, so that a lock file naming our own pid is told apart from a stale one. */
const heldDataDirs = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Throws DataDirInUseError when the lock's pid is alive; removes the lock when it is stale. */
function takeOverIfStale(dir: string, file: string): void {
  const pid = lockPid(file);
  // Our own pid in a lock this process does not hold: left by an earlier process that had it (a restarted container).
  if (pid !== undefined && pid !== process.pid && pidAlive(pid)) throw new DataDirInUseError(dir, pid);
  // Stale: move it aside (atomic, so one taker wins), and put it back if another took it over meanwhile.
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = lockPid(aside);
  if (moved !== undefined && moved !== pid && moved !== process.pid && pidAlive(moved)) {
    try {
      linkSync(aside, file);
    } catch {
      // a third process has taken it meanwhile: in use either way
    }
    unlinkSync(aside);
    throw new DataDirInUseError(dir, moved);
  }
  unlinkSync(aside);
}

/**
 * PGlite is one process: two processes on one directory each write their own view of
 * it and events are lost. Takes DATA_DIR/.lock (O_EXCL, holding the pid) or throws
 * DataDirInUseError; a lock whose pid is dead is taken over. Returns the release.
 */
function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  const file = join(dir, '.lock');
  if (heldDataDirs.has(dir)) throw new DataDirInUseError(dir, process.pid);
  // Written whole under another name, then linked into place: link fails when .lock exists
  // (as O_EXCL does), and a reader never sees a lock without its pid.
  const mine = `${file}.${process.pid}.new`;
  const fd = openSync(mine, 'w', 0o600);
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        linkSync(mine, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
      }
      takeOverIfStale(dir, file);
    }
  } finally {
    unlinkSync(mine);
  }
  heldDataDirs.add(dir);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    heldDataDirs.delete(dir);
    process.removeListener('exit', release);
    try {
      if (lockPid(file) === process.pid) unlinkSync(file);
    } catch {
      // gone already
    }
  };
  // A process that exits without closing the database (process.exit, an uncaught error) frees it too.
  process.on('exit', release);
  return release;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    const pool = makePool(opts.url, opts, '');
    const stopWatch = watchPool(opts.url, pool, opts);
    const db = poolDb(pool);
    let readPool: pg.Pool | undefined;
    let readDb = db;
    if (opts.readUrl && opts.readUrl !== opts.url) {
      readPool = makePool(opts.readUrl, opts, ':read');
      readDb = poolDb(readPool);
    }
    return {
      kind: 'postgres',
      db,
      readDb,
      pool,
      async ping() {
        await pool.query('select 1');
      },
      async migrate() {
        const { migrate } = await import('drizzle-orm/node-postgres/migrator');
        const client = await pool.connect();
        try {
          // The drizzle migrator takes no lock of its own: serialise instances here.
          await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
          try {
            await migrate(drizzlePg(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
          } finally {
            await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
          }
        } finally {
          client.release();
        }
      },
      async close() {
        stopWatch();
        await pool.end();
        if (readPool) await readPool.end();
      },
    };
  }

  const dataDir = opts.dataDir ?? './data';
  let location: string;
  let unlock = () => {};
  if (dataDir.startsWith('memory://')) {
    location = dataDir;
  } else {
    location = join(dataDir, 'pgdata');
    mkdirSync(location, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  let client: InstanceType<typeof PGlite>;
  try {
    client = await PGlite.create(location, { extensions: { pg_trgm }, ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}) });
  } catch (err) {
    unlock();
    throw err;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  let closed = false;
  return {
    kind: 'pglite',
    db,
    readDb: db,
    async ping() {
      if (closed) throw new Error('database is closed');
      await client.query('select 1');
    },
    async migrate() {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      // PGlite is one connection in one process: nothing else can migrate at the same time.
      await migrate(drizzlePglite(client, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
  };
}

/** Runs raw SQL and returns its rows (node-postgres and PGlite both answer `{ rows }`). */
export async function queryRows<T>(conn: Conn, query: SQL): Promise<T[]> {
  const result = (await conn.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/**
 * A drizzle query from SQL text with `$1…$n` placeholders and their values: the same
 * text that runs as a prepared statement on the pg pool runs on PGlite or inside a
 * transaction, bound the same way.
 */
export function boundSql(text: string, values: readonly unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  for (let i = 0; i < parts.length; i += 1) {
    if (i % 2 === 0) chunks.push(sql.raw(parts[i] ?? ''));
    else chunks.push(sql`${sql.param(values[Number(parts[i]) - 1])}`);
  }
  return sql.join(chunks);
}

/** The pg pool or client behind a drizzle handle (the db or a transaction), when on Postgres. */
function pgHandleOf(conn: Conn): pg.Pool | pg.Client | undefined {
  const client = (conn as unknown as { session?: { client?: unknown } }).session?.client;
  return client instanceof pg.Pool || client instanceof pg.Client ? client : undefined;
}

/**
 * Rows of a fixed SQL text (`$1…$n`) on the hot paths: on Postgres a named prepared
 * statement (each connection parses and plans it once, then only binds and executes),
 * on the pool or on the transaction's own client; on PGlite the same text, bound.
 */
export async function preparedRows<T extends pg.QueryResultRow>(
  conn: Conn,
  statement: { name: string; text: string },
  values: unknown[],
): Promise<T[]> {
  const handle = pgHandleOf(conn);
  if (handle) return (await handle.query<T>({ name: statement.name, text: statement.text, values })).rows;
  return queryRows<T>(conn, boundSql(statement.text, values));
}
