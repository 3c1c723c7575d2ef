// What the report is made of: the run's results, their summaries and the figures' formats.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { SeedSummary } from '../seed/seed.js';
import type { Measurement } from './measure.js';
import { ROOT } from './processes.js';

export function machine(pgVersion: string) {
  const cpus = os.cpus();
  let git = 'unknown';
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty) git += ' + uncommitted changes';
  } catch {
    // not a git checkout
  }
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pgVersion,
    git,
  };
}

export const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
export const fmtRps = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '–');
export const fmtMs = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)) : '–');
export const fmtN = (x: number | undefined) => (x === undefined ? '–' : x.toLocaleString('en'));

export interface Summary {
  label: string;
  rounds: number;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50: number;
  p975: number;
  p99: number;
  errors: number;
  non2xx: number;
  clearedPerSecond?: number;
  autocannonP99?: number;
}

export function summarize(ms: Measurement[]): Summary {
  const cleared = ms.filter((m) => m.clearedPerSecond !== undefined).map((m) => m.clearedPerSecond!);
  const ac = ms.filter((m) => m.autocannonP99 !== undefined).map((m) => m.autocannonP99!);
  return {
    label: ms[0]!.label,
    rounds: ms.length,
    rps: median(ms.map((m) => m.rps)),
    rpsMin: Math.min(...ms.map((m) => m.rps)),
    rpsMax: Math.max(...ms.map((m) => m.rps)),
    p50: median(ms.map((m) => m.p50)),
    p975: median(ms.map((m) => m.p975)),
    p99: median(ms.map((m) => m.p99)),
    errors: sum(ms.map((m) => m.errors)),
    non2xx: sum(ms.map((m) => m.non2xx)),
    ...(cleared.length ? { clearedPerSecond: median(cleared) } : {}),
    ...(ac.length ? { autocannonP99: median(ac) } : {}),
  };
}

export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((h, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** The Postgres server of the run and the settings that matter for the figures. */
export interface PgServer {
  version: string;
  sharedBuffers: string;
  maxWalSize: string;
  autovacuum: string;
  synchronousCommit: string;
}

export interface Results {
  mode: 'quick' | 'full';
  /** The server: the benchmark's own cluster, or BENCH_DATABASE_URL (absent from runs before 2026-12-07 evening). */
  postgres?: PgServer & { own: boolean };
  command: string;
  startedAt: string;
  finishedAt: string;
  minutes: number;
  machine: ReturnType<typeof machine>;
  loadAverage: { start: number[]; end: number[] };
  /** Share of the machine's CPU time the hypervisor gave to others during the run (/proc/stat steal), when known. */
  stealShare?: number | null;
  settings: Record<string, unknown>;
  datasets: (SeedSummary & { live: { auditEvents: number; crossings: number; bytes: number } })[];
  travellers: number;
  main: Measurement[];
  steady: Measurement[];
  /** The hello-world at the steady pace, a Postgres round trip and a durable commit (absent from runs before 2026-12-01). */
  floors?: Measurement[];
  scale: Measurement[];
}

/** The run's LOOKUP_SYNCHRONOUS_COMMIT (`on` in every run before the setting existed). */
export const lookupCommit = (settings: Results['settings']) => String(settings.lookupSynchronousCommit ?? 'on');
/** Whether the run's lookups waited for their audit event's WAL flush: every value but `off` does (`local`: the primary's flush). */
export const lookupWaitsForFlush = (settings: Results['settings']) => lookupCommit(settings) !== 'off';

export function lookupCommitText(settings: Results['settings']): string {
  return `LOOKUP_SYNCHRONOUS_COMMIT=${lookupCommit(settings)} (${
    lookupWaitsForFlush(settings)
      ? 'a lookup answers once its audit event has committed and is on disk, as a crossing does'
      : 'a lookup answers once its audit event has committed, without waiting for the WAL flush; crossings wait for it'
  })`;
}

export const by = (ms: Measurement[], key: (m: Measurement) => string) => {
  const map = new Map<string, Measurement[]>();
  for (const m of ms) map.set(key(m), [...(map.get(key(m)) ?? []), m]);
  return map;
};
