import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { appendAudit, verifyChain } from '../../src/audit/chain.js';
import { borderDate } from '../../src/domain/border.js';
import { openDatabase } from '../../src/db/client.js';
import { assertValidDocument } from './documents.js';
import { generatorContext, insertAccounts, insertInstitutions, loadResearchers } from './load.js';
import { dayOf, IdGen, Rng } from './random.js';
import { BULK_TABLES, dropSecondary, rebuildSecondary } from './rows.js';

/**
 * `npm run bench:seed -- --researchers N`: a realistic whitelist of N researchers on a
 * database of its own (`hetao_bench_<N>`), for the benchmark. Not through the API:
 * rows are generated here and sent as typed arrays (`insert … select * from
 * unnest($1::uuid[], …)`), thousands of rows a statement, in a few transactions,
 * with the secondary indexes and foreign keys of the bulk tables dropped during
 * the load and rebuilt after it (measured: see docs/performance.md). One audit
 * event records the load; the chain verifies.
 */

export { BENCH_PASSWORD } from './load.js';
export const BENCH_DATABASE_RE = /^hetao_bench_[a-z0-9_]{1,40}$/;
export const SEED_ACTION = 'seed.synthetic';
/** Bump when the shape of the generated data changes: older bench databases are then reseeded. */
export const GENERATOR_VERSION = 2;
/** Where the document samples go (git-ignored). */
export const BENCH_RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

const ADVISORY_NAMESPACE = 74_120_100;
const DAY_MS = 86_400_000;

export function benchDatabaseName(researchers: number): string {
  return `hetao_bench_${researchers}`;
}

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export function sampleFileOf(database: string): string {
  return join(BENCH_RESULTS_DIR, `${database}.documents.json`);
}

export interface SeedIo {
  out(line: string): void;
  err(line: string): void;
}

export interface SeedOptions {
  researchers: number;
  /** Defaults to hetao_bench_<researchers>; must start with hetao_bench_. */
  database?: string | undefined;
  /** A Postgres URL on the server where the bench database is created (its own database is only used to connect). */
  serverUrl: string | undefined;
  /** NODE_ENV: production is refused. */
  env: string;
  /** Drop and reseed even when a complete seed of the same size is there. */
  reset?: boolean;
  /** Load with every index and foreign key in place (slower; for measuring the difference). */
  withIndexes?: boolean;
  seed?: number;
  sampleSize?: number;
  io: SeedIo;
}

export interface SeedMarker {
  generator: number;
  researchers: number;
  seed: number;
  counts: Record<string, number>;
  seconds: number;
  phases: Record<string, number>;
  indexMode: 'rebuilt' | 'kept';
  seededAt: string;
}

export interface SeedSummary extends SeedMarker {
  database: string;
  url: string;
  reused: boolean;
  sampleFile: string;
  databaseBytes: number;
}

/** The marker of a complete seed (the summary audit event), or null when absent or the database is missing. */
export async function readSeedMarker(url: string): Promise<SeedMarker | null> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return null;
  }
  try {
    const { rows } = await client.query<{ data: SeedMarker }>(
      `select data from audit_events where action = $1 order by seq desc limit 1`,
      [SEED_ACTION],
    );
    return rows[0]?.data ?? null;
  } catch {
    return null;
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  if (!BENCH_DATABASE_RE.test(name)) throw new Error(`refused: ${name} is not a bench database name (hetao_bench_*)`);
  return `"${name}"`;
}

/** Seeds (or finds already seeded) a bench database and returns what is in it. */
export async function seedSynthetic(opts: SeedOptions): Promise<SeedSummary> {
  const { io } = opts;
  const n = opts.researchers;
  if (!Number.isInteger(n) || n < 10 || n > 20_000_000) throw new Error('refused: --researchers must be an integer from 10 to 20,000,000');
  if (opts.env === 'production') throw new Error('refused: bench:seed loads a known password and is not for production');
  if (!opts.serverUrl) {
    throw new Error('refused: bench:seed needs DATABASE_URL (a Postgres server); the embedded PGlite is not for benchmarks');
  }
  const name = opts.database ?? benchDatabaseName(n);
  quoteIdent(name);
  const url = withDatabaseName(opts.serverUrl, name);
  const seed = opts.seed ?? 20_260_601;
  const sampleFile = sampleFileOf(name);

  const admin = new pg.Client({ connectionString: opts.serverUrl });
  await admin.connect();
  try {
    // One seeder per database name at a time (a bench run waits for a background seed).
    await admin.query('select pg_advisory_lock($1, hashtext($2))', [ADVISORY_NAMESPACE, name]);
    const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount! > 0;
    if (exists && !opts.reset) {
      const marker = await readSeedMarker(url);
      if (marker && marker.researchers === n && marker.generator === GENERATOR_VERSION) {
        const size = await admin.query<{ bytes: string }>('select pg_database_size($1)::text as bytes', [name]);
        return { ...marker, database: name, url, reused: true, sampleFile, databaseBytes: Number(size.rows[0]!.bytes) };
      }
      io.err(`${name} exists but holds no complete seed of ${n} researchers (generator ${GENERATOR_VERSION}): reseeding`);
    }
    const t0 = performance.now();
    const phases: Record<string, number> = {};
    const lap = (() => {
      let last = performance.now();
      return (phase: string) => {
        const now = performance.now();
        phases[phase] = (phases[phase] ?? 0) + (now - last) / 1000;
        last = now;
      };
    })();

    if (exists) await admin.query(`drop database ${quoteIdent(name)} with (force)`);
    await admin.query(`create database ${quoteIdent(name)}`);
    const database = await openDatabase({ url, poolMax: 2, applicationName: 'hetao-seed-synthetic' });
    try {
      await database.migrate();
      lap('create and migrate');

      const loader = new pg.Client({ connectionString: url, application_name: 'hetao-seed-synthetic' });
      await loader.connect();
      try {
        await loader.query(`set synchronous_commit = off`);
        await loader.query(`set maintenance_work_mem = '512MB'`);
        await loader.query(`set statement_timeout = 0`);

        const rng = new Rng(seed);
        const now = new Date();
        const nowMs = now.getTime();
        const today = dayOf(borderDate(now));
        // Ids from a clock two years back: older than anything the service will create.
        const ids = new IdGen(rng, nowMs - 2 * 365 * DAY_MS);

        const accounts = await insertAccounts(loader, ids);
        lap('accounts');
        const inst = await insertInstitutions(loader, rng, ids, n);
        lap('institutions');

        const rebuild = opts.withIndexes ? null : await dropSecondary(loader);
        lap('drop indexes');

        const ctx = generatorContext(rng, ids, { nowMs, today }, accounts, inst, opts.sampleSize ?? 20_000);
        await loadResearchers(loader, ctx, n, io, t0);
        lap('load rows');

        // Spot-check the generated numbers with the service's own validators.
        for (const d of ctx.sample.slice(0, 2000)) assertValidDocument(d);

        if (rebuild) {
          await rebuildSecondary(loader, rebuild, io);
          lap('rebuild indexes and constraints');
        }
        for (const table of [...BULK_TABLES, 'institutions', 'users']) await loader.query(`vacuum (analyze) ${table}`);
        lap('vacuum analyze');
        try {
          await loader.query('checkpoint');
        } catch {
          // needs superuser or pg_checkpoint: only spares the benchmark a checkpoint during its first seconds
        }
        lap('checkpoint');

        const counts = ctx.counts;
        const seconds = (performance.now() - t0) / 1000;
        const marker: SeedMarker = {
          generator: GENERATOR_VERSION,
          researchers: n,
          seed,
          counts,
          seconds: Math.round(seconds * 10) / 10,
          phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v * 10) / 10])),
          indexMode: rebuild ? 'rebuilt' : 'kept',
          seededAt: now.toISOString(),
        };
        // One event for the whole load: the chain stays verifiable.
        await appendAudit(database.db, {
          actor: 'cli',
          role: 'system',
          action: SEED_ACTION,
          subject: `database:${name}`,
          data: marker as unknown as Record<string, unknown>,
        });
        const chain = await verifyChain(database.db);
        if (!chain.ok) throw new Error(`audit chain does not verify after the seed: ${chain.problem ?? ''}`);

        mkdirSync(BENCH_RESULTS_DIR, { recursive: true });
        writeFileSync(
          sampleFile,
          `${JSON.stringify({ database: name, researchers: n, seededAt: marker.seededAt, documents: ctx.sample }, null, 0)}\n`,
        );
        const size = await admin.query<{ bytes: string }>('select pg_database_size($1)::text as bytes', [name]);
        return { ...marker, database: name, url, reused: false, sampleFile, databaseBytes: Number(size.rows[0]!.bytes) };
      } finally {
        await loader.end();
      }
    } finally {
      await database.close();
    }
  } finally {
    await admin.query('select pg_advisory_unlock($1, hashtext($2))', [ADVISORY_NAMESPACE, name]).catch(() => {});
    await admin.end();
  }
}
