// Measuring: autocannon (closed loop or overallRate), the paced open-loop generator, the Postgres
// floor probes, and what the server and the machine went through during a round.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import pg from 'pg';
import { Latencies, type Percentiles } from '../paced.js';
import { pacedGenerator, sleep, T0 } from './processes.js';

export interface Measurement {
  target: string;
  label: string;
  round: number;
  generator: 'autocannon' | 'autocannon overallRate' | 'paced';
  /** Paced runs: the rate asked for, req/s. */
  rate?: number;
  dataset: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p975: number;
  p99: number;
  max: number;
  /** autocannon's own p99 (whole ms; corrected for coordinated omission when a rate is set). */
  autocannonP99?: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  cleared?: number;
  flagged?: number;
  clearedPerSecond?: number;
  flagReasons?: Record<string, number>;
  /** Paced runs against a server with SERVER_TIMING on: the percentiles of each Server-Timing entry (app, read, audit). */
  serverTiming?: Record<string, Percentiles>;
  /** Paced runs: how late the generator sent each request after it was due. */
  sendLag?: Percentiles;
  /** The steady rounds: what the server and the machine went through during the round (see `withConditions`). */
  conditions?: RoundConditions;
}

/**
 * What else happened during a round: the WAL the whole server wrote (and how much of it
 * was full-page images, which follow every checkpoint), its WAL flushes, and the kernel's
 * pressure stall figures (the share of the round in which some task waited for a core,
 * or for IO). Where a round's tail is longer than its neighbours', these say whether the
 * server and the machine had more to do in it. Each is null where it cannot be read
 * (pg_stat_wal before PostgreSQL 14, /proc/pressure off Linux or without PSI).
 */
export interface RoundConditions {
  /** When the measurement started, seconds into the benchmark run. */
  startS: number;
  walMb: number | null;
  fullPageImages: number | null;
  walSyncs: number | null;
  /** Percent of the round's wall time. */
  cpuSome: number | null;
  ioSome: number | null;
}

interface ConditionsSnapshot {
  at: number;
  wal: { bytes: number; fpi: number; syncs: number } | null;
  cpuSome: number | null;
  ioSome: number | null;
}

/** The `some` total of /proc/pressure/<resource>, in microseconds, or null. */
function pressureTotal(resource: 'cpu' | 'io'): number | null {
  try {
    const match = /^some .*total=(\d+)/m.exec(readFileSync(`/proc/pressure/${resource}`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

async function conditionsSnapshot(serverUrl: string): Promise<ConditionsSnapshot> {
  const wal = await withClient(serverUrl, async (c) => {
    // pg_stat_wal: PostgreSQL 14 and later.
    const { rows } = await c.query<{ bytes: string; fpi: string; syncs: string }>('select wal_bytes::text as bytes, wal_fpi::text as fpi, wal_sync::text as syncs from pg_stat_wal');
    return rows[0] ? { bytes: Number(rows[0].bytes), fpi: Number(rows[0].fpi), syncs: Number(rows[0].syncs) } : null;
  }).catch(() => null);
  return { at: performance.now(), wal, cpuSome: pressureTotal('cpu'), ioSome: pressureTotal('io') };
}

/** Runs one measurement and records the server's WAL and the machine's pressure during it. */
export async function withConditions(serverUrl: string, run: () => Promise<Measurement>): Promise<Measurement> {
  const before = await conditionsSnapshot(serverUrl);
  const m = await run();
  const after = await conditionsSnapshot(serverUrl);
  const share = (a: number | null, b: number | null) => (a === null || b === null ? null : ((b - a) / 1000 / (after.at - before.at)) * 100);
  const wal =
    before.wal && after.wal
      ? { bytes: after.wal.bytes - before.wal.bytes, fpi: after.wal.fpi - before.wal.fpi, syncs: after.wal.syncs - before.wal.syncs }
      : null;
  m.conditions = {
    startS: (before.at - T0) / 1000,
    walMb: wal ? wal.bytes / 1e6 : null,
    fullPageImages: wal?.fpi ?? null,
    walSyncs: wal?.syncs ?? null,
    cpuSome: share(before.cpuSome, after.cpuSome),
    ioSome: share(before.ioSome, after.ioSome),
  };
  return m;
}

export interface CannonSpec {
  target: string;
  label: string;
  base: string;
  setupClient: (client: autocannon.Client) => void;
  dataset: number;
  round: number;
  seconds: number;
  overallRate?: number;
  /** autocannon connections. */
  connections: number;
}

export function runCannon(spec: CannonSpec): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const lat = new Latencies();
    const instance = autocannon(
      {
        url: spec.base,
        connections: spec.connections,
        pipelining: 1,
        duration: spec.seconds,
        timeout: 10,
        requests: [{ method: 'GET', path: '/' }],
        setupClient: spec.setupClient,
        ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
      },
      (err, result) => {
        if (err) return reject(err);
        const codes: Record<string, number> = {};
        for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) codes[code] = s.count ?? 0;
        resolve({
          target: spec.target,
          label: spec.label,
          round: spec.round,
          generator: spec.overallRate ? 'autocannon overallRate' : 'autocannon',
          dataset: spec.dataset,
          seconds: result.duration,
          requests: result.requests.total,
          rps: result.requests.total / result.duration,
          ...lat.summary(),
          autocannonP99: result.latency.p99,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          statusCodes: codes,
        });
      },
    );
    // Exact latencies (autocannon's histogram keeps whole milliseconds).
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => lat.push(ms));
  });
}

/** A paced, open-loop run (bench/paced.ts), in the generator's own process. */
export async function runPaced(spec: {
  target: string;
  label: string;
  base: string;
  path: string;
  /** POST one of these, at random; GET without. */
  bodies?: string[];
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  dataset: number;
  round: number;
}): Promise<Measurement> {
  const url = new URL(spec.base);
  const r = await pacedGenerator().run({
    host: url.hostname,
    port: Number(url.port),
    path: spec.path,
    headers: spec.headers,
    ...(spec.bodies ? { bodies: spec.bodies } : {}),
    rate: spec.rate,
    seconds: spec.seconds,
  });
  return {
    target: spec.target,
    label: spec.label,
    round: spec.round,
    generator: 'paced',
    rate: spec.rate,
    dataset: spec.dataset,
    seconds: spec.seconds,
    requests: r.requests,
    rps: r.rps,
    ...r.latency,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes: r.statusCodes,
    sendLag: r.sendLag,
    ...(r.serverTiming ? { serverTiming: r.serverTiming } : {}),
  };
}

/**
 * One Postgres statement at a paced rate on one connection, alone on the machine: what
 * a round trip (`select 1`) and a durable commit (a one-row insert, synchronous_commit
 * as the server has it) cost here, the floor under every lookup. Each latency counts
 * from when the statement was due, like runPaced.
 */
export interface ProbeSpec {
  target: string;
  label: string;
  url: string;
  text: string;
  rate: number;
  seconds: number;
  round: number;
  dataset: number;
}

export async function runProbe(spec: ProbeSpec): Promise<Measurement> {
  return withClient(spec.url, async (client) => {
    await client.query(spec.text); // the connection's first statement pays for its catalogue reads
    const lat = new Latencies();
    let errors = 0;
    const total = spec.rate * spec.seconds;
    const t0 = performance.now();
    // One statement at a time (a connection runs them in turn anyway). One that is due while
    // the previous still runs starts when that ends and counts from when it was due (the wait
    // is the database's); otherwise it counts from when it was sent (a timer firing a little
    // late is this loop's, not the database's).
    let previousEnd = t0;
    for (let i = 0; i < total; i++) {
      const due = t0 + (i / spec.rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const from = previousEnd > due ? due : performance.now();
      try {
        await client.query(spec.text);
        lat.push(performance.now() - from);
      } catch {
        errors += 1;
      }
      previousEnd = performance.now();
    }
    return {
      target: spec.target,
      label: spec.label,
      round: spec.round,
      generator: 'paced',
      dataset: spec.dataset,
      seconds: spec.seconds,
      requests: lat.length + errors,
      rps: lat.length / ((performance.now() - t0) / 1000),
      ...lat.summary(),
      errors,
      timeouts: 0,
      non2xx: 0,
      statusCodes: {},
    };
  });
}

/** The machine's CPU time counters (/proc/stat, all CPUs): total and steal, in ticks; null off Linux. */
export function cpuTimes(): { total: number; steal: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    return { total: v.slice(0, 8).reduce((a, b) => a + b, 0), steal: v[7] ?? 0 };
  } catch {
    return null;
  }
}

export function stealBetween(a: ReturnType<typeof cpuTimes>, b: ReturnType<typeof cpuTimes>): number | null {
  if (!a || !b || b.total <= a.total) return null;
  return (b.steal - a.steal) / (b.total - a.total);
}

export async function withClient<T>(url: string, run: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'hetao-bench' });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
