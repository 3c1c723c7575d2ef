/**
 * The benchmark's own PostgreSQL cluster: the machine's PostgreSQL binaries, a data
 * directory kept between runs (bench/results/pgcluster, git-ignored, so a seeded
 * dataset is reused), and the settings a deployment sizes for its data instead of the
 * package defaults (see `clusterSettings`).
 *
 * Why not the machine's server with its defaults: its 128 MB of shared_buffers leaves
 * every page of a 1 M dataset to the kernel's page cache, and the VMs these figures come
 * from page unmapped page cache out after a minute without access (a DAMON `pageout`
 * scheme), so lookups at 1 M read from the disk and the machine stalls under the IO
 * (docs/performance.md, notes of 2026-12-07). `BENCH_DATABASE_URL` still points the
 * benchmark at any server instead.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

export interface BenchCluster {
  /** postgres://… of the cluster's `postgres` database (the server URL the seeder takes). */
  url: string;
  dataDir: string;
  settings: Record<string, string>;
  stop(): void;
}

/**
 * shared_buffers: a quarter of the machine's memory, at most 8 GB (the usual sizing for a
 * dedicated database server); max_wal_size 8 GB, so that a checkpoint is not forced every
 * half minute by the crossings' WAL; everything else as packaged (fsync and
 * synchronous_commit on, autovacuum on).
 */
export function clusterSettings(totalMemory = os.totalmem()): Record<string, string> {
  const quarterMb = Math.floor(totalMemory / 4 / 2 ** 20);
  return {
    shared_buffers: `${Math.max(128, Math.min(quarterMb, 8192))}MB`,
    max_wal_size: '8GB',
    max_connections: '200',
  };
}

function pgBin(): string {
  const candidates = [process.env.BENCH_PG_BIN, '/usr/lib/postgresql/15/bin'].filter((d): d is string => !!d);
  for (const dir of candidates) if (existsSync(join(dir, 'pg_ctl'))) return dir;
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('no PostgreSQL binaries found (BENCH_PG_BIN, /usr/lib/postgresql/15/bin, pg_config): set BENCH_DATABASE_URL to a server instead');
  }
}

/** Runs a PostgreSQL program as the `postgres` user when this process is root (initdb and postgres refuse root). */
function asOwner(bin: string, args: string[]): { status: number | null; out: string } {
  const root = process.getuid?.() === 0;
  const r = root ? spawnSync('runuser', ['-u', 'postgres', '--', bin, ...args], { encoding: 'utf8' }) : spawnSync(bin, args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export function startBenchCluster(opts: { baseDir: string; port: number; log: (line: string) => void }): BenchCluster {
  const bin = pgBin();
  const dataDir = join(opts.baseDir, 'data');
  const settings = clusterSettings();
  mkdirSync(opts.baseDir, { recursive: true });
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', opts.baseDir]);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    opts.log(`bench cluster: initdb ${dataDir}`);
    const r = asOwner(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    if (r.status !== 0) throw new Error(`initdb failed:\n${r.out}`);
  }
  // A cluster left running by a run that was killed: stop it, then start with this run's port.
  asOwner(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  const logFile = join(opts.baseDir, 'server.log');
  if (!existsSync(logFile)) writeFileSync(logFile, '');
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', logFile]);
  const options = [`-c listen_addresses=127.0.0.1 -p ${opts.port} -k ${opts.baseDir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  const started = asOwner(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '120', '-o', options, 'start']);
  if (started.status !== 0) throw new Error(`the bench cluster did not start (see ${logFile}):\n${started.out}`);
  opts.log(`bench cluster: ${dataDir} on 127.0.0.1:${opts.port} (${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')})`);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${opts.port}/postgres`,
    dataDir,
    settings,
    stop() {
      if (stopped) return;
      stopped = true;
      asOwner(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    },
  };
}
