/**
 * `npm run bench` / `npm run bench:quick`: the service against bare references, on
 * this machine, in one run.
 *
 * 1. Starts the benchmark's own Postgres cluster (bench/pg-cluster.ts; or uses the server
 *    at BENCH_DATABASE_URL) and seeds (or reuses) synthetic whitelists there, as
 *    hetao_bench_* databases: 10 k, 100 k, 1 M researchers.
 * 2. Starts one process each, same pool size: the service (`node --import tsx
 *    src/server.ts`, NODE_ENV=production, rate limits off) on every dataset, the bare
 *    Fastify hello-world (bench/ref-hello.ts) and the bare Fastify + pg lookup
 *    (bench/ref-pg.ts) on the main dataset.
 * 3. Measures with autocannon, alternating the targets round by round so that the
 *    noise of a shared 2-core machine falls on all of them alike:
 *      (a) officer lookup by a random document, (b) crossings with one equipment item
 *      that keep clearing, (c) hello-world, (d) bare pg lookup;
 *    then the lookup at a steady rate (autocannon overallRate, and a paced open-loop
 *    generator), then the scale series (lookup on each dataset).
 * 4. Prints the tables and writes docs/performance.md (keeping its "## Notes" section),
 *    and the raw figures as JSON in bench/results/.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  BENCH_PASSWORD,
  BENCH_RESULTS_DIR,
  sampleFileOf,
  seedSynthetic,
  type SeedSummary,
} from './seed/seed.js';
import { envSchema, LOOKUP_SYNCHRONOUS_COMMIT } from '../src/config.js';
import { benchArgs, oneOf } from './args.js';
import { Latencies, PacedGenerator, type Percentiles } from './paced.js';
import { type BenchCluster, startBenchCluster } from './pg-cluster.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const T0 = performance.now();

// ---- options ------------------------------------------------------------------------

const USAGE = `Usage: npm run bench [-- options]   (npm run bench:quick = --quick)

  --quick              10 k and 100 k researchers, 2 rounds of 3 s (under 2 minutes once seeded)
  --sizes 10000,...    datasets of the scale series (default 10000,100000,1000000)
  --main N             dataset of the (a)-(d) comparison (default: the largest; 10000 in --quick)
  --rounds R           rounds of alternation (default 3; 2 in --quick)
  --duration S         seconds per measurement (default 10; 3 in --quick)
  --warmup S           seconds of warm-up per target, not recorded (default 3; 1 in --quick)
  --connections C      autocannon connections (default 32)
  --pool P             pg pool size of the service and of the pg reference (default 10)
  --rate R             the steady rate for the latency test, req/s (default 1000)
  --scale-rate R       the paced rate of the scale series: light load, so latency is the cost of one lookup (default 100)
  --lookup-synchronous-commit V
                       the service's LOOKUP_SYNCHRONOUS_COMMIT: ${LOOKUP_SYNCHRONOUS_COMMIT.join(', ')} (default off, as deployed;
                       on: every lookup waits for its audit event's WAL flush)
  --out FILE           report (default docs/performance.md; bench/results/performance-quick.md in --quick)

Postgres: the benchmark starts a cluster of its own (bench/pg-cluster.ts) from the machine's PostgreSQL
binaries (BENCH_PG_BIN, else /usr/lib/postgresql/15/bin, else pg_config --bindir), with its data in
bench/results/pgcluster (kept between runs) and shared_buffers sized for the data (a quarter of the memory).
hetao_bench_<N> databases are created there, seeded once and reused. BENCH_DATABASE_URL (e.g.
postgres://postgres@127.0.0.1:5432/postgres) names another server to use instead, as it is configured.
`;

const opt = benchArgs(
  {
    quick: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    main: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    pool: { type: 'string' },
    rate: { type: 'string' },
    'scale-rate': { type: 'string' },
    'lookup-synchronous-commit': { type: 'string', default: 'off' },
    out: { type: 'string' },
  },
  USAGE,
);

const quick = opt.quick;
const LOOKUP_COMMIT = oneOf('lookup-synchronous-commit', opt['lookup-synchronous-commit'], LOOKUP_SYNCHRONOUS_COMMIT, USAGE);
const int = (v: string | undefined, d: number) => (v === undefined ? d : Number(v.replace(/[_,]/g, '')));
const sizes = [...new Set((opt.sizes ?? (quick ? '10000,100000' : '10000,100000,1000000')).split(',').map((s) => int(s, 0)))];
const mainSize = int(opt.main, quick ? Math.min(...sizes) : Math.max(...sizes));
if (!sizes.includes(mainSize)) sizes.push(mainSize);
sizes.sort((a, b) => a - b);
const ROUNDS = int(opt.rounds, quick ? 2 : 3);
const DURATION = int(opt.duration, quick ? 3 : 10);
const WARMUP = int(opt.warmup, quick ? 1 : 3);
const CONNECTIONS = int(opt.connections, 32);
const POOL = int(opt.pool, 10);
const RATE = int(opt.rate, 1000);
const SCALE_RATE = int(opt['scale-rate'], 100);
/** Pace of the Postgres floor probes (one connection, one statement at a time). */
const PROBE_RATE = 200;
const OUT = opt.out ?? (quick ? join(BENCH_RESULTS_DIR, 'performance-quick.md') : join(ROOT, 'docs', 'performance.md'));
/** The Postgres server of the datasets: BENCH_DATABASE_URL, or the benchmark's own cluster (set in main). */
let SERVER_URL = process.env.BENCH_DATABASE_URL ?? '';
let cluster: BenchCluster | undefined;
for (const [name, v] of Object.entries({ sizes: Math.min(...sizes), ROUNDS, DURATION, CONNECTIONS, POOL, RATE, SCALE_RATE })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`bench: ${name} must be a positive integer`);
}
const COMMAND = `npm run bench${quick ? ':quick' : ''}${process.argv.slice(2).filter((a) => a !== '--quick').length ? ` -- ${process.argv.slice(2).filter((a) => a !== '--quick').join(' ')}` : ''}`;

function log(line: string): void {
  process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

// ---- processes -------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  base: string;
  logFile: string;
  exited: boolean;
}
const procs: Proc[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function httpJson(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        headers: { ...headers, ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
        timeout: 10_000,
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(payload);
  });
}

/** Every variable the service reads, so that none leaks in from the caller's shell (RANDOM_INSPECTION_RATE…). */
const SERVICE_VARIABLES = Object.keys(envSchema.shape);

async function start(name: string, script: string, env: Record<string, string>, readyPath: string): Promise<Proc> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !SERVICE_VARIABLES.includes(k)) childEnv[k] = v;
  Object.assign(childEnv, env, { HOST: '127.0.0.1', PORT: String(port) });
  mkdirSync(join(BENCH_RESULTS_DIR, 'logs'), { recursive: true });
  const logFile = join(BENCH_RESULTS_DIR, 'logs', `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const proc: Proc = { name, child, base, logFile, exited: false };
  child.once('exit', () => (proc.exited = true));
  procs.push(proc);
  const deadline = Date.now() + 300_000; // a migration of a 1 M database may take a while
  for (;;) {
    if (proc.exited) throw new Error(`${name} exited during start; see ${logFile}:\n${tail(logFile)}`);
    try {
      const res = await httpJson('GET', `${base}${readyPath}`);
      if (res.status === 200) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not become ready; see ${logFile}`);
    await sleep(250);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** The paced generator's process, started on first use, stopped with the services. */
let generator: PacedGenerator | undefined;
function pacedGenerator(): PacedGenerator {
  generator ??= PacedGenerator.start();
  return generator;
}

async function stopAll(): Promise<void> {
  generator?.close();
  generator = undefined;
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exited) return resolve();
          const timer = setTimeout(() => {
            p.child.kill('SIGKILL');
            resolve();
          }, 10_000);
          p.child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          p.child.kill('SIGTERM');
        }),
    ),
  );
}
process.on('exit', () => {
  for (const p of procs) if (!p.exited) p.child.kill('SIGKILL');
  cluster?.stop();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll().then(() => process.exit(130));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- workloads -----------------------------------------------------------------

interface Doc {
  kind: string;
  number: string;
  issuingCountry?: string;
}

interface Officer {
  username: string;
  checkpoint: string;
  token: string;
}

interface Traveller {
  kind: string;
  number: string;
  itemId: string;
  side: 'SZ' | 'HK';
  busy: boolean;
  stale: boolean;
}

class CrossingState {
  next = 0;
  cleared = 0;
  flagged = 0;
  other = 0;
  reasons = new Map<string, number>();
  constructor(readonly travellers: Traveller[]) {}
  take(): Traveller {
    for (let k = 0; k < this.travellers.length; k++) {
      const t = this.travellers[this.next++ % this.travellers.length]!;
      if (!t.busy && !t.stale) {
        t.busy = true;
        return t;
      }
    }
    throw new Error('bench: every traveller is busy; load more travellers');
  }
  resetCounts(): void {
    this.cleared = 0;
    this.flagged = 0;
    this.other = 0;
    this.reasons.clear();
  }
}

function lookupSetup(sample: Doc[], tokens: string[]) {
  let n = 0;
  return (client: autocannon.Client) => {
    const token = tokens[n++ % tokens.length]!;
    client.setRequests([
      {
        method: 'POST',
        path: '/v1/clearance/lookup',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        setupRequest: (req) => {
          const d = sample[Math.floor(Math.random() * sample.length)]!;
          req.body = JSON.stringify({ document: { kind: d.kind, number: d.number } });
          return req;
        },
      },
    ]);
  };
}

function crossingSetup(state: CrossingState, officers: Officer[]) {
  let n = 0;
  return (client: autocannon.Client) => {
    const officer = officers[n++ % officers.length]!;
    let current: Traveller | undefined;
    client.setRequests([
      {
        method: 'POST',
        path: '/v1/crossings',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${officer.token}` },
        setupRequest: (req) => {
          // A request that never got its answer (a timeout): its traveller's state is unknown now.
          if (current) current.stale = true;
          const t = state.take();
          current = t;
          req.headers = { ...req.headers, 'idempotency-key': randomUUID() };
          req.body = JSON.stringify({
            checkpoint: officer.checkpoint,
            direction: t.side === 'SZ' ? 'SZ_TO_HK' : 'HK_TO_SZ',
            traveller: { document: { kind: t.kind, number: t.number } },
            items: [{ itemId: t.itemId }],
          });
          return req;
        },
        onResponse: (status, body) => {
          const t = current;
          current = undefined;
          if (!t) return;
          t.busy = false;
          if (status !== 201) {
            state.other += 1;
            return;
          }
          if (/"decision":"CLEARED"/.test(body)) {
            t.side = t.side === 'SZ' ? 'HK' : 'SZ';
            state.cleared += 1;
          } else {
            state.flagged += 1;
            for (const m of body.matchAll(/"code":"([A-Z_]+)"/g)) state.reasons.set(m[1]!, (state.reasons.get(m[1]!) ?? 0) + 1);
          }
        },
      },
    ]);
  };
}

// ---- measuring ----------------------------------------------------------------

interface Measurement {
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
interface RoundConditions {
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

async function conditionsSnapshot(): Promise<ConditionsSnapshot> {
  const wal = await withClient(SERVER_URL, async (c) => {
    // pg_stat_wal: PostgreSQL 14 and later.
    const { rows } = await c.query<{ bytes: string; fpi: string; syncs: string }>('select wal_bytes::text as bytes, wal_fpi::text as fpi, wal_sync::text as syncs from pg_stat_wal');
    return rows[0] ? { bytes: Number(rows[0].bytes), fpi: Number(rows[0].fpi), syncs: Number(rows[0].syncs) } : null;
  }).catch(() => null);
  return { at: performance.now(), wal, cpuSome: pressureTotal('cpu'), ioSome: pressureTotal('io') };
}

/** Runs one measurement and records the server's WAL and the machine's pressure during it. */
async function withConditions(run: () => Promise<Measurement>): Promise<Measurement> {
  const before = await conditionsSnapshot();
  const m = await run();
  const after = await conditionsSnapshot();
  const share = (a: number | null, b: number | null) => (a === null || b === null ? null : ((b - a) / 1000 / (after.at - before.at)) * 100);
  const wal = before.wal && after.wal ? { bytes: after.wal.bytes - before.wal.bytes, fpi: after.wal.fpi - before.wal.fpi, syncs: after.wal.syncs - before.wal.syncs } : null;
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

interface CannonSpec {
  target: string;
  label: string;
  base: string;
  setupClient: (client: autocannon.Client) => void;
  dataset: number;
  round: number;
  seconds: number;
  overallRate?: number;
}

function runCannon(spec: CannonSpec): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const lat = new Latencies();
    const instance = autocannon(
      {
        url: spec.base,
        connections: CONNECTIONS,
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
async function runPaced(spec: {
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
async function runProbe(spec: { target: string; label: string; url: string; text: string; rate: number; seconds: number; round: number; dataset: number }): Promise<Measurement> {
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

// ---- data for the workloads -------------------------------------------------------

/** The machine's CPU time counters (/proc/stat, all CPUs): total and steal, in ticks; null off Linux. */
function cpuTimes(): { total: number; steal: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    return { total: v.slice(0, 8).reduce((a, b) => a + b, 0), steal: v[7] ?? 0 };
  } catch {
    return null;
  }
}

function stealBetween(a: ReturnType<typeof cpuTimes>, b: ReturnType<typeof cpuTimes>): number | null {
  if (!a || !b || b.total <= a.total) return null;
  return (b.steal - a.steal) / (b.total - a.total);
}

async function withClient<T>(url: string, run: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'hetao-bench' });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Reads every table and index of a dataset, so that its pages are in the machine's page
 * cache when it is measured, as a deployment's working set is after hours of lookups: on
 * this VM the kernel (kdamond) takes cold pages back between runs, and a 1 M dataset
 * (2.3 GB) then answers from the disk for minutes. pg_prewarm's 'buffer' mode reads into
 * Postgres's own buffers (where the dataset fits in them), 'read' into the page cache
 * only; answers how long it took and how, or null where the extension is missing.
 */
async function prewarm(url: string): Promise<{ seconds: number; mode: 'buffer' | 'read' } | null> {
  return withClient(url, async (c) => {
    const t0 = Date.now();
    try {
      await c.query('create extension if not exists pg_prewarm');
      // Into Postgres's own buffers when the dataset fits in them (the bench cluster), else into the page cache.
      const { rows } = await c.query<{ fits: boolean }>(
        `select pg_database_size(current_database()) < 0.9 * (select setting::bigint * current_setting('block_size')::bigint
                                                                  from pg_settings where name = 'shared_buffers') as fits`,
      );
      const mode = rows[0]?.fits ? 'buffer' : 'read';
      await c.query(`select sum(pg_prewarm(c.oid, '${mode}')) from pg_class c
                      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'i', 'm')`);
      return { seconds: (Date.now() - t0) / 1000, mode };
    } catch {
      return null;
    }
  });
}

/** The seeder's sample file when it belongs to this seed; else a random sample read with TABLESAMPLE. */
async function documentSample(seed: SeedSummary): Promise<Doc[]> {
  const file = sampleFileOf(seed.database);
  if (existsSync(file)) {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { seededAt?: string; documents?: Doc[] };
    if (data.seededAt === seed.seededAt && data.documents?.length) return data.documents;
  }
  return withClient(seed.url, async (c) => {
    const total = seed.counts.identity_documents ?? 1;
    const pct = Math.min(100, (20_000 * 1.5 * 100) / total);
    const { rows } = await c.query<Doc>(
      `select kind, number, issuing_country as "issuingCountry" from identity_documents tablesample bernoulli (${pct.toFixed(4)}) limit 20000`,
    );
    return rows;
  });
}

/** Approved travellers in good standing, each with an approved laptop or instrument they may carry. */
async function loadTravellers(url: string, wanted: number): Promise<Traveller[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ kind: string; number: string; item_id: string; current_side: 'SZ' | 'HK' }>(
      `select d.kind, d.number, it.id as item_id, it.current_side
         from researchers r
         join institutions i on i.id = r.institution_id and i.status = 'active'
         join item_custodians c on c.researcher_id = r.id
         join items it on it.id = c.item_id
         join lateral (select d.kind, d.number from identity_documents d
                        where d.researcher_id = r.id and d.kind <> 'passport' and d.expires_on > current_date + 2
                        order by d.kind limit 1) d on true
        where r.status = 'approved' and r.valid_from < current_date - 1 and r.valid_until > current_date + 2
          and it.category = 'equipment' and it.status = 'approved' and it.valid_until > current_date + 2
          and (it.current_side = it.home_side or it.return_by > now() + interval '2 days')
          and not exists (select 1 from item_custodians c2 join items i2 on i2.id = c2.item_id
                           where c2.researcher_id = r.id and i2.return_by < now() + interval '2 days')
        limit $1`,
      [wanted * 2],
    );
    const seen = new Set<string>();
    const out: Traveller[] = [];
    for (const r of rows) {
      if (seen.has(r.item_id) || seen.has(`${r.kind}:${r.number}`)) continue;
      seen.add(r.item_id);
      seen.add(`${r.kind}:${r.number}`);
      out.push({ kind: r.kind, number: r.number, itemId: r.item_id, side: r.current_side, busy: false, stale: false });
      if (out.length >= wanted) break;
    }
    return out;
  });
}

/** Where each laptop is now, as the database says (a measurement stopped mid-request leaves some unknown). */
async function refreshTravellers(url: string, travellers: Traveller[]): Promise<void> {
  await withClient(url, async (c) => {
    const { rows } = await c.query<{ id: string; current_side: 'SZ' | 'HK' }>(`select id, current_side from items where id = any($1::uuid[])`, [
      travellers.map((t) => t.itemId),
    ]);
    const side = new Map(rows.map((r) => [r.id, r.current_side]));
    for (const t of travellers) {
      t.side = side.get(t.itemId) ?? t.side;
      t.busy = false;
      t.stale = false;
    }
  });
}

async function officerTokens(base: string, url: string): Promise<Officer[]> {
  const officers = await withClient(url, async (c) =>
    (await c.query<{ username: string; checkpoint: string }>(
      `select username, checkpoint from users where role = 'officer' and username like 'bench-officer-%' order by username`,
    )).rows,
  );
  const out: Officer[] = [];
  for (const o of officers) {
    const res = await httpJson('POST', `${base}/v1/auth/token`, { grant_type: 'password', username: o.username, password: BENCH_PASSWORD });
    if (res.status !== 200) throw new Error(`token for ${o.username}: ${res.status} ${res.body}`);
    out.push({ ...o, token: (JSON.parse(res.body) as { access_token: string }).access_token });
  }
  if (out.length === 0) throw new Error('no bench officers in the database');
  return out;
}

// ---- the machine ---------------------------------------------------------------

function machine(pgVersion: string) {
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

// ---- report --------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const fmtRps = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '–');
const fmtMs = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)) : '–');
const fmtN = (x: number | undefined) => (x === undefined ? '–' : x.toLocaleString('en'));

interface Summary {
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

function summarize(ms: Measurement[]): Summary {
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

function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((h, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/** The Postgres server of the run and the settings that matter for the figures. */
interface PgServer {
  version: string;
  sharedBuffers: string;
  maxWalSize: string;
  autovacuum: string;
  synchronousCommit: string;
}

interface Results {
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
const lookupCommit = (settings: Results['settings']) => String(settings.lookupSynchronousCommit ?? 'on');
/** Whether the run's lookups waited for their audit event's WAL flush: every value but `off` does (`local`: the primary's flush). */
const lookupWaitsForFlush = (settings: Results['settings']) => lookupCommit(settings) !== 'off';

function lookupCommitText(settings: Results['settings']): string {
  return `LOOKUP_SYNCHRONOUS_COMMIT=${lookupCommit(settings)} (${
    lookupWaitsForFlush(settings)
      ? 'a lookup answers once its audit event has committed and is on disk, as a crossing does'
      : 'a lookup answers once its audit event has committed, without waiting for the WAL flush; crossings wait for it'
  })`;
}

function render(r: Results): string {
  const by = (ms: Measurement[], key: (m: Measurement) => string) => {
    const map = new Map<string, Measurement[]>();
    for (const m of ms) map.set(key(m), [...(map.get(key(m)) ?? []), m]);
    return map;
  };
  const main = by(r.main, (m) => m.target);
  const s = (t: string) => (main.get(t) ? summarize(main.get(t)!) : undefined);
  const a = s('a');
  const b = s('b');
  const c = s('c');
  const d = s('d');
  const mainSet = r.datasets.find((x) => x.researchers === Number(r.settings.mainSize));
  const out: string[] = [];
  out.push('# Performance');
  out.push('');
  out.push(
    `_Generated by \`${r.command}\` (bench/run.ts) on ${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC, commit ${r.machine.git}, in ${r.minutes.toFixed(1)} minutes. ` +
      'Everything above "Notes" is rewritten by the script; the Notes section is written by hand and kept._',
  );
  out.push('');
  out.push('Rerun: `npm run bench` (10 k, 100 k and 1 M researchers; seeds each once, then reuses it) or `npm run bench:quick`');
  out.push('(10 k and 100 k, short rounds, under 2 minutes once seeded). `npm run bench -- --help` lists the options.');
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(
    table(
      ['cores', 'CPU', 'memory', 'OS', 'Node', 'Postgres', 'load average (1 min) at start → end', 'CPU stolen by the hypervisor'],
      [[String(r.machine.cores), r.machine.cpu, `${r.machine.memoryGiB} GiB`, r.machine.os, r.machine.node, r.machine.postgres,
        `${r.loadAverage.start[0]!.toFixed(2)} → ${r.loadAverage.end[0]!.toFixed(2)}`,
        r.stealShare == null ? '–' : `${(r.stealShare * 100).toFixed(1)} %`]],
    ),
  );
  out.push('');
  out.push(
    `Everything runs on this one machine: Postgres, the servers and the load generator. Other work on it (other test suites), and CPU time the ` +
      `hypervisor gives to other machines (steal, above: a share of 10 % or more makes every absolute figure of the run low), shows as noise, ` +
      `which is why the targets alternate round by round within one run (${r.settings.rounds} rounds × ${r.settings.duration} s per target, ` +
      `after ${r.settings.warmup} s of warm-up each, not recorded) and the tables give the median of the rounds with the range of req/s.`,
  );
  if (r.postgres) {
    const pgs = r.postgres;
    out.push('');
    out.push(
      (pgs.own
        ? `Postgres: the benchmark's own cluster (bench/pg-cluster.ts: this machine's PostgreSQL binaries, data kept in bench/results/pgcluster), ` +
          `sized for the data as a deployment's server is — shared_buffers ${pgs.sharedBuffers} (a quarter of the memory), max_wal_size ${pgs.maxWalSize}; ` +
          'otherwise as packaged'
        : `Postgres: the server at BENCH_DATABASE_URL, as it is configured — shared_buffers ${pgs.sharedBuffers}, max_wal_size ${pgs.maxWalSize}`) +
        ` (synchronous_commit ${pgs.synchronousCommit}, autovacuum ${pgs.autovacuum}).`,
    );
  }
  out.push('');
  out.push('## Setup');
  out.push('');
  out.push(`- **(a) lookup**: \`POST /v1/clearance/lookup\` \`{document:{kind,number}}\` with a random document of the seeder's sample (every kind), each request another; ` +
    'an officer JWT from `POST /v1/auth/token` (8 officers, one per checkpoint, spread over the connections). Authenticated, validated, audited: the service as deployed.');
  out.push(`- **(b) crossings**: \`POST /v1/crossings\` with one equipment item, a unique Idempotency-Key each, by the officer of the connection at its checkpoint; ` +
    `${r.travellers.toLocaleString('en')} travellers in good standing, each with a laptop or instrument, taken in turn so that no two requests lock the same item; ` +
    'each crosses from the side where the item is, so it goes out and comes back, and keeps clearing.');
  out.push('- **(c) hello**: bench/ref-hello.ts, bare Fastify `GET /` → `{"hello":"world"}`.');
  out.push('- **(d) bare pg**: bench/ref-pg.ts, bare Fastify + pg, the same request as (a): document → researcher (joined with the institution), then custody → items; ' +
    'two queries, no auth, no validation, no audit, no response schema.');
  out.push(`- One process each, pg pool of ${r.settings.pool} for the service and for (d). The service: \`node --import tsx src/server.ts\`, NODE_ENV=production, LOG_LEVEL=warn, ` +
    'rate limits off (RATE_LIMIT_PER_MINUTE=0, LOOKUP_RATE_LIMIT_PER_MINUTE=0, AUTH_RATE_LIMIT_PER_MINUTE=0, AUTH_FAILURES_PER_USERNAME=0), RANDOM_INSPECTION_RATE unset (0), ' +
    `${lookupCommitText(r.settings)}, SERVER_TIMING=true (a Server-Timing header on every answer; see "Inside the service").`);
  out.push('- Before the first measurement the workload\'s tables (items, audit_head, audit_outbox, audit_journal, audit_events, crossings, crossing_items, item_movements, ' +
    `idempotency_keys) are \`VACUUM (ANALYZE)\`d, so that a run does not measure the dead rows of the runs before it where autovacuum is off (${r.postgres ? `on this server autovacuum is ${r.postgres.autovacuum}` : 'it was, on the server of the runs before 2026-12-07 evening'}). ` +
    'Before the (a)–(d) rounds, the steady rounds and the scale series, every table and index of the datasets they use is read in with `pg_prewarm` — into Postgres\'s buffers (mode `buffer`) where the dataset fits in them, else into the page cache (mode `read`) — as a deployment\'s working set is after hours of lookups: the kernel of this VM (kdamond) takes cold pages of the page cache back, and the 1 M dataset would otherwise answer from the disk.');
  out.push(`- autocannon, ${r.settings.connections} connections, no pipelining. Why ${r.settings.connections}: enough to keep a pool of ${r.settings.pool} busy and the event loop fed ` +
    'on a 2-core box (the load generator shares the cores), few enough that p50 is not mostly queueing (at saturation p50 ≈ connections ÷ throughput); ' +
    'it is also in the range of the officers’ desks that one deployment serves. Latencies are exact (from autocannon\'s per-response timings), not whole milliseconds.');
  out.push('');
  out.push(`## Results: ${fmtN(mainSet?.researchers)} researchers`);
  out.push('');
  const row = (name: string, x: Summary | undefined, extra = '') =>
    x
      ? [name, `${fmtRps(x.rps)} (${fmtRps(x.rpsMin)}–${fmtRps(x.rpsMax)})`, fmtMs(x.p50), fmtMs(x.p975), fmtMs(x.p99), fmtN(x.errors), fmtN(x.non2xx), extra]
      : [name, '–', '–', '–', '–', '–', '–', extra];
  out.push(
    table(
      ['target', 'req/s, median (range)', 'p50 ms', 'p97.5 ms', 'p99 ms', 'errors', 'non-2xx', ''],
      [
        row('(a) lookup, service', a),
        row('(b) crossing, service', b, b?.clearedPerSecond !== undefined ? `**${fmtRps(b.clearedPerSecond)} CLEARED/s**` : ''),
        row('(c) hello-world reference', c),
        row('(d) bare Fastify + pg reference', d),
      ],
    ),
  );
  out.push('');
  if (a && c && d) {
    out.push(`- **(a)/(d) = ${(a.rps / d.rps).toFixed(2)}** (target ≥ 1.5): the lookup against the bare pg route doing the same reads.`);
    out.push(`- **(a)/(c) = ${(a.rps / c.rps).toFixed(3)}**: the lookup against the bare hello-world ceiling.`);
  }
  if (b) out.push(`- **CLEARED crossings/s = ${fmtRps(b.clearedPerSecond ?? Number.NaN)}** (target ≥ 1,000).`);
  const flagged = r.main.filter((m) => m.target === 'b').reduce((acc, m) => acc + (m.flagged ?? 0), 0);
  if (b) {
    const reasons = new Map<string, number>();
    for (const m of r.main.filter((x) => x.target === 'b')) for (const [k, v] of Object.entries(m.flagReasons ?? {})) reasons.set(k, (reasons.get(k) ?? 0) + v);
    out.push(`- Crossings FLAGGED in the measured rounds: ${flagged.toLocaleString('en')}${reasons.size ? ` (${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}.`);
  }
  out.push('');
  out.push(`## Lookup at a steady ${r.settings.rate} req/s`);
  out.push('');
  const steady = by(r.steady, (m) => `${m.target}|${m.generator}`);
  const steadyRows: string[][] = [];
  for (const [key, ms] of steady) {
    const x = summarize(ms);
    const [target, generator] = key.split('|');
    steadyRows.push([
      target === 'a' ? '(a) lookup, service' : '(d) bare pg reference',
      generator === 'paced' ? 'paced open loop' : 'autocannon overallRate',
      fmtRps(x.rps),
      fmtMs(x.p50),
      fmtMs(x.p975),
      `**${fmtMs(x.p99)}**`,
      x.autocannonP99 !== undefined ? fmtMs(x.autocannonP99) : '–',
      fmtN(x.errors + x.non2xx),
    ]);
  }
  out.push(table(['target', 'generator', 'achieved req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'autocannon p99 (CO-corrected, whole ms)', 'errors + non-2xx'], steadyRows));
  out.push('');
  out.push(
    `Target: lookup p99 ≤ 10 ms at ${r.settings.rate} req/s. Two generators, because autocannon's \`overallRate\` is a budget per connection per one-second tick: ` +
      `each connection sends its share back to back as fast as answers come, then waits for the next second. That is a burst of ${r.settings.connections} concurrent requests ` +
      'at the start of every second, not a steady stream, and its p99 is close to the saturated p99 whenever the burst lasts longer than a few ms. The paced generator ' +
      '(bench/paced.ts, in a process of its own so that the pauses of the benchmark\'s own garbage collector are not charged to the servers) sends request i at t0 + i/rate on raw keep-alive connections (bench/raw-http.ts, about as light per request as autocannon, since it shares the cores with what it measures) whatever the others do, and counts each latency from when the request was due, ' +
      'so a stall is not hidden (no coordinated omission). The paced row is the one to read for "steady".',
  );
  out.push('');
  const timed = r.steady.filter((m) => m.target === 'a' && m.generator === 'paced' && m.serverTiming);
  if (timed.length > 0) {
    out.push('### Inside the service: where the paced lookup\'s time goes');
    out.push('');
    const pair = (x: Pick<Measurement, 'p50' | 'p99'> | undefined, bold = true) =>
      x ? `${fmtMs(x.p50)} / ${bold ? `**${fmtMs(x.p99)}**` : fmtMs(x.p99)}` : '–';
    const timedRows = timed
      .sort((x, y) => x.round - y.round)
      .map((m) => [
        String(m.round),
        pair(m),
        pair(m.sendLag, false),
        pair(m.serverTiming?.app),
        pair(m.serverTiming?.db),
        m.serverTiming?.app ? fmtMs(m.p99 - m.serverTiming.app.p99) : '–',
      ]);
    out.push(
      table(
        ['round', 'as the generator saw it, p50 / p99 ms', 'sent late by the generator, p50 / p99', 'app: in the service, p50 / p99', 'db: the statement (read + audit event, committed), p50 / p99', 'p99 outside the service (generator − app)'],
        timedRows,
      ),
    );
    out.push('');
    out.push(
      'From the Server-Timing header that the service sends when SERVER_TIMING is on (as here; src/http/server-timing.ts), read by the paced generator from every answer: ' +
        '`app` runs from the request\'s first hook to its answer being sent, `db` is the lookup\'s one statement (alone, or the batch it went in): its read and its audit ' +
        `event written to the journal, committed (${lookupWaitsForFlush(r.settings) ? 'and flushed' : 'without waiting for the WAL flush'}: LOOKUP_SYNCHRONOUS_COMMIT) — the answer waits for it. What the generator sees beyond \`app\` lies outside the ` +
        'handlers: loopback TCP, HTTP parsing, the event loop\'s queue before the first hook, and the generator itself — how late it sent each request after it was due is measured too. Each column has its own percentiles, of different requests, so they do not add up.',
    );
    out.push('');
  }
  if (r.floors?.length) {
    out.push(`### The floors: what the machine itself costs`);
    out.push('');
    const floorRows: string[][] = [];
    for (const [, ms] of by(r.floors, (m) => m.target)) {
      const x = summarize(ms);
      const web = ms[0]!.target === 'c';
      floorRows.push([
        web ? `${x.label}, paced open loop (HTTP alone)` : `${x.label}, one connection, alone`,
        fmtRps(x.rps),
        fmtMs(x.p50),
        fmtMs(x.p975),
        `**${fmtMs(x.p99)}**`,
        fmtMs(Math.max(...ms.map((m) => m.max))),
        fmtN(x.errors + x.non2xx),
      ]);
    }
    out.push(table(['floor', 'req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'max ms (any round)', 'errors + non-2xx'], floorRows));
    out.push('');
    out.push(
      'Measured in the same rounds as the table above. A lookup is one HTTP exchange and one Postgres statement that reads and writes its audit event, ' +
        (lookupWaitsForFlush(r.settings)
          ? 'then commits durably (the answer waits for the flush, LOOKUP_SYNCHRONOUS_COMMIT; Postgres shares one WAL flush among the commits that arrive together): its latency cannot go below theirs. '
          : 'then commits (the answer waits for the commit, not for its WAL flush, LOOKUP_SYNCHRONOUS_COMMIT; a crossing waits for the flush, as the durable-commit probe does): its latency cannot go below the first two. ') +
        'The Postgres probes run one statement at a time on one connection with nothing else running, so they are the best case of this disk and this scheduler.',
    );
    out.push('');
  }
  const conditioned = [...r.steady, ...(r.floors ?? [])].filter((m) => m.conditions);
  if (conditioned.length > 0) {
    out.push('### What the server and the machine went through in each steady round');
    out.push('');
    const pct = (v: number | null) => (v === null ? '–' : v.toFixed(1));
    const condRows = conditioned
      .sort((x, y) => x.conditions!.startS - y.conditions!.startS)
      .map((m) => {
        const c = m.conditions!;
        return [
          c.startS.toFixed(0),
          String(m.round),
          `${m.label}, ${m.generator}`,
          m.target === 'a' && m.generator === 'paced' ? `**${fmtMs(m.p99)}**` : fmtMs(m.p99),
          c.walMb === null ? '–' : `${c.walMb.toFixed(1)} (${fmtN(c.fullPageImages ?? undefined)})`,
          c.walSyncs === null ? '–' : fmtN(c.walSyncs),
          `${pct(c.cpuSome)} / ${pct(c.ioSome)}`,
        ];
      });
    out.push(table(['s into the run', 'round', 'measurement', 'p99 ms', 'WAL written, MB (full-page images)', 'WAL flushes', 'pressure, % of the round: cpu / io'], condRows));
    out.push('');
    out.push(
      'For each measurement of the steady rounds above: the WAL the whole server wrote meanwhile (pg_stat_wal), how much of it were full-page images — the first change to a page ' +
        'after a checkpoint logs the whole page, so a round that starts soon after a checkpoint writes several times the WAL of one that does not — and its flushes; and the ' +
        'kernel\'s pressure stall information (/proc/pressure): the share of the round in which some task waited for a core (cpu) or for the disk (io). ' +
        'Where one round\'s tail stands out from the others of the same measurement, these say whether the server and the machine had more to do in it.',
    );
    out.push('');
  }
  out.push('## Scale series: the lookup at 10 k, 100 k and 1 M researchers');
  out.push('');
  const scaleRows: string[][] = [];
  const p50s = new Map<number, number>();
  for (const set of r.datasets) {
    const sat = r.scale.filter((m) => m.dataset === set.researchers && m.generator === 'autocannon');
    // Reports of runs before the steady rate joined the series have no rate: those were all at scaleRate.
    const paced = r.scale.filter((m) => m.dataset === set.researchers && m.generator === 'paced' && (m.rate ?? r.settings.scaleRate) === r.settings.scaleRate);
    const steady = r.scale.filter((m) => m.dataset === set.researchers && m.generator === 'paced' && m.rate === r.settings.rate && r.settings.rate !== r.settings.scaleRate);
    const x = sat.length ? summarize(sat) : undefined;
    const y = paced.length ? summarize(paced) : undefined;
    const z = steady.length ? summarize(steady) : undefined;
    if (y) p50s.set(set.researchers, y.p50);
    scaleRows.push([
      fmtN(set.researchers),
      fmtN(set.counts.identity_documents),
      fmtN(set.counts.items),
      x ? fmtRps(x.rps) : '–',
      x ? fmtMs(x.p50) : '–',
      x ? fmtMs(x.p99) : '–',
      y ? fmtMs(y.p50) : '–',
      y ? fmtMs(y.p99) : '–',
      z ? `${fmtMs(z.p50)} / ${fmtMs(z.p99)}` : '–',
    ]);
  }
  out.push(
    table(
      ['researchers', 'documents', 'items', `req/s (${r.settings.connections} conn.)`, 'p50 ms', 'p99 ms', `p50 ms at ${r.settings.scaleRate} req/s paced`, `p99 ms at ${r.settings.scaleRate} req/s paced`, `p50 / p99 ms at ${r.settings.rate} req/s paced`],
      scaleRows,
    ),
  );
  out.push('');
  const small = Math.min(...p50s.keys());
  const large = Math.max(...p50s.keys());
  if (p50s.size > 1) {
    out.push(`- Paced p50 at ${fmtN(large)} ÷ p50 at ${fmtN(small)} = **${(p50s.get(large)! / p50s.get(small)!).toFixed(2)}** (target ≤ 1.3: the cost stays flat, index-bound).`);
  }
  out.push(`- At ${r.settings.rate} req/s paced (last column), the same steady load as the latency target, on every dataset: where the p99 grows with the dataset and not the p50, the tail is the database's pages coming from the disk, not the lookup's work.`);
  out.push('- Each dataset has its own service process (same settings); the sizes alternate round by round like the targets above.');
  out.push('');
  out.push('## Datasets');
  out.push('');
  out.push(
    table(
      ['database', 'researchers', 'institutions', 'documents', 'items', 'custodians', 'crossings seeded', 'size now', 'audit events now', 'seeded in', 'load rows', 'indexes + constraints'],
      r.datasets.map((x) => [
        x.database,
        fmtN(x.researchers),
        fmtN(x.counts.institutions),
        fmtN(x.counts.identity_documents),
        fmtN(x.counts.items),
        fmtN(x.counts.item_custodians),
        fmtN(x.counts.crossings),
        `${(x.live.bytes / 1024 ** 2).toFixed(0)} MiB`,
        fmtN(x.live.auditEvents),
        `${x.seconds.toFixed(0)} s${x.reused ? ' (earlier)' : ''}`,
        `${(x.phases['load rows'] ?? 0).toFixed(0)} s`,
        `${(x.phases['rebuild indexes and constraints'] ?? 0).toFixed(0)} s`,
      ]),
    ),
  );
  out.push('');
  out.push(
    '`npm run bench:seed -- --researchers N` (DATABASE_URL = the server) makes them: institutions on both sides (~N/500), researchers of mainland, Hong Kong and ' +
      'foreign profiles holding every kind of document (valid check characters, unique numbers), mostly approved and some nominated, suspended, rejected, revoked or expired; ' +
      '~3 items each across the four categories with custodians; ~4 % of the approved travellers with past crossings and movements; an officer per checkpoint ' +
      `(\`bench-officer-<checkpoint>\`, password \`${BENCH_PASSWORD}\`). The lookups and crossings of each bench run add to the audit log and the crossings.`,
  );
  out.push('');
  out.push('## Every round');
  out.push('');
  const all = [...r.main, ...r.steady, ...r.scale];
  out.push(
    table(
      ['target', 'dataset', 'generator', 'round', 'req/s', 'p50', 'p97.5', 'p99', 'max', 'errors', 'non-2xx', 'status codes'],
      all.map((m) => [
        m.label,
        fmtN(m.dataset),
        m.generator,
        String(m.round),
        fmtRps(m.rps),
        fmtMs(m.p50),
        fmtMs(m.p975),
        fmtMs(m.p99),
        fmtMs(m.max),
        fmtN(m.errors),
        fmtN(m.non2xx),
        Object.entries(m.statusCodes).map(([k, v]) => `${k}: ${v}`).join(', ') + (m.cleared !== undefined ? `; CLEARED ${m.cleared}, FLAGGED ${m.flagged}` : ''),
      ]),
    ),
  );
  out.push('');
  return out.join('\n');
}

const DEFAULT_NOTES = `## Notes

_Hand-written; the bench script keeps this section as it is._
`;

function writeReport(file: string, generated: string): void {
  let notes = DEFAULT_NOTES;
  if (existsSync(file)) {
    const old = readFileSync(file, 'utf8');
    const at = old.search(/^## Notes\b/m);
    if (at >= 0) notes = old.slice(at);
  }
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${generated.trimEnd()}\n\n${notes.trimEnd()}\n`);
}

// ---- main ----------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const cpuStart = cpuTimes();
  if (!SERVER_URL) {
    cluster = startBenchCluster({ baseDir: join(BENCH_RESULTS_DIR, 'pgcluster'), port: await freePort(), log });
    SERVER_URL = cluster.url;
  }
  const server = await withClient(SERVER_URL, async (c) =>
    (await c.query<PgServer>(
      `select current_setting('server_version') as version, current_setting('shared_buffers') as "sharedBuffers",
              current_setting('max_wal_size') as "maxWalSize", current_setting('autovacuum') as autovacuum,
              current_setting('synchronous_commit') as "synchronousCommit"`,
    )).rows[0]!,
  );
  const pgVersion = server.version;
  log(`${quick ? 'quick' : 'full'} run: datasets ${sizes.join(', ')}, main ${mainSize}, ${ROUNDS} rounds × ${DURATION} s, ${CONNECTIONS} connections, pool ${POOL}`);

  // 1. datasets
  const seeds = new Map<number, SeedSummary>();
  for (const n of sizes) {
    log(`dataset ${n}: seeding or reusing`);
    const s = await seedSynthetic({ researchers: n, serverUrl: SERVER_URL, env: process.env.NODE_ENV ?? 'development', io: { out: log, err: log } });
    log(`dataset ${n}: ${s.database} ${s.reused ? 'reused' : `seeded in ${s.seconds} s`}`);
    seeds.set(n, s);
  }
  const samples = new Map<number, Doc[]>();
  for (const [n, s] of seeds) samples.set(n, await documentSample(s));
  const mainSeed = seeds.get(mainSize)!;
  const travellers = await loadTravellers(mainSeed.url, 5000);
  if (travellers.length < CONNECTIONS * 20) throw new Error(`only ${travellers.length} travellers found for the crossing workload`);
  const crossingState = new CrossingState(travellers);
  log(`${travellers.length} travellers for the crossings`);

  // 2. processes
  const jwtSecret = randomBytes(48).toString('base64url');
  const serviceEnv = (url: string) => ({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: url,
    JWT_SECRET: jwtSecret,
    DB_POOL_MAX: String(POOL),
    TOKEN_TTL_SECONDS: '3600',
    RATE_LIMIT_PER_MINUTE: '0',
    LOOKUP_RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    AUTH_FAILURES_PER_USERNAME: '0',
    LOOKUP_SYNCHRONOUS_COMMIT: LOOKUP_COMMIT,
    // Each answer says how long it took inside the service and, for a lookup, its read and audit wait (Server-Timing).
    SERVER_TIMING: 'true',
  });
  const services = new Map<number, Proc>();
  const [hello, pgRef] = await Promise.all([
    start('ref-hello', 'bench/ref-hello.ts', { NODE_ENV: 'production' }, '/'),
    start('ref-pg', 'bench/ref-pg.ts', { NODE_ENV: 'production', DATABASE_URL: mainSeed.url, DB_POOL_MAX: String(POOL) }, '/'),
    ...sizes.map(async (n) => services.set(n, await start(`service-${n}`, 'src/server.ts', serviceEnv(seeds.get(n)!.url), '/health/ready'))),
  ]);
  log(`started ${procs.map((p) => `${p.name} ${p.base}`).join(', ')}`);
  // Earlier runs leave dead rows behind: every crossing updates an item, audit_outbox rows
  // are deleted at their commit, audit_head is one row updated by every append. Autovacuum
  // cleans that up; where it is off (as on the machine these figures come from), each run
  // starts from a vacuumed state instead of measuring the bloat of the runs before it.
  const autovacuum = await withClient(SERVER_URL, async (c) => (await c.query<{ v: string }>(`select current_setting('autovacuum') as v`)).rows[0]!.v);
  for (const n of sizes) {
    const t0 = Date.now();
    await withClient(seeds.get(n)!.url, (c) =>
      c.query('vacuum (analyze) items, audit_head, audit_outbox, audit_journal, audit_events, crossings, crossing_items, item_movements, idempotency_keys'),
    );
    log(`dataset ${n}: vacuumed the workload's tables in ${((Date.now() - t0) / 1000).toFixed(1)} s (autovacuum is ${autovacuum})`);
  }
  const warmAll = async (datasets: number[]) => {
    for (const n of datasets) {
      const took = await prewarm(seeds.get(n)!.url);
      log(`dataset ${n}: ${took === null ? 'pg_prewarm is not available: pages are read as they are needed' : `read into ${took.mode === 'buffer' ? "Postgres's buffers" : 'the page cache'} in ${took.seconds.toFixed(1)} s`}`);
    }
  };
  await warmAll([mainSize]);
  const officers = new Map<number, Officer[]>();
  for (const n of sizes) officers.set(n, await officerTokens(services.get(n)!.base, seeds.get(n)!.url));
  const mainService = services.get(mainSize)!;
  const mainOfficers = officers.get(mainSize)!;
  const mainSample = samples.get(mainSize)!;

  const check = () => {
    const dead = procs.find((p) => p.exited);
    if (dead) throw new Error(`${dead.name} died; see ${dead.logFile}:\n${tail(dead.logFile)}`);
  };

  type Target = 'a' | 'b' | 'c' | 'd';
  const labels: Record<Target, string> = { a: '(a) lookup', b: '(b) crossing', c: '(c) hello', d: '(d) bare pg' };
  const measure = async (target: Target, round: number, seconds: number): Promise<Measurement> => {
    check();
    if (target === 'b') {
      await sleep(200);
      await refreshTravellers(mainSeed.url, travellers);
      crossingState.resetCounts();
    }
    const setup =
      target === 'a'
        ? lookupSetup(mainSample, mainOfficers.map((o) => o.token))
        : target === 'b'
          ? crossingSetup(crossingState, mainOfficers)
          : target === 'd'
            ? lookupSetup(mainSample, mainOfficers.map((o) => o.token))
            : (client: autocannon.Client) => client.setRequests([{ method: 'GET', path: '/' }]);
    const base = target === 'c' ? hello.base : target === 'd' ? pgRef.base : mainService.base;
    const m = await runCannon({ target, label: labels[target], base, setupClient: setup, dataset: mainSize, round, seconds });
    if (target === 'b') {
      m.cleared = crossingState.cleared;
      m.flagged = crossingState.flagged;
      m.clearedPerSecond = crossingState.cleared / m.seconds;
      m.flagReasons = Object.fromEntries(crossingState.reasons);
    }
    return m;
  };

  // 3. warm-up, then (a)-(d) alternating
  const order: Target[] = ['a', 'b', 'c', 'd'];
  for (const t of order) {
    log(`warm-up ${labels[t]} ${WARMUP} s`);
    await measure(t, 0, WARMUP);
  }
  for (const n of sizes) {
    if (n === mainSize) continue;
    await runCannon({ target: 'a', label: 'warm-up', base: services.get(n)!.base, setupClient: lookupSetup(samples.get(n)!, officers.get(n)!.map((o) => o.token)), dataset: n, round: 0, seconds: WARMUP });
  }
  const mainResults: Measurement[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const rotated = [...order.slice((round - 1) % order.length), ...order.slice(0, (round - 1) % order.length)];
    for (const t of rotated) {
      const m = await measure(t, round, DURATION);
      mainResults.push(m);
      log(
        `round ${round} ${labels[t].padEnd(13)} ${fmtRps(m.rps).padStart(7)} req/s  p50 ${fmtMs(m.p50)}  p99 ${fmtMs(m.p99)} ms` +
          `  non-2xx ${m.non2xx}  errors ${m.errors}${m.cleared !== undefined ? `  CLEARED ${fmtRps(m.clearedPerSecond!)}/s, FLAGGED ${m.flagged}` : ''}`,
      );
    }
  }

  // 4. steady rate: autocannon overallRate and the paced generator, service and bare pg, alternating
  await warmAll([mainSize]);
  const steady: Measurement[] = [];
  const lookupBodies = (sample: Doc[]) => sample.map((d) => JSON.stringify({ document: { kind: d.kind, number: d.number } }));
  const steadyRounds = quick ? 1 : ROUNDS;
  // The floors, measured alongside: the hello-world at the same pace (HTTP on this machine),
  // and one Postgres round trip and one durable commit, alone (the lookup makes one of each).
  const floors: Measurement[] = [];
  await withClient(mainSeed.url, (c) => c.query('create table if not exists bench_commit_probe (id bigint generated always as identity primary key, at timestamptz not null default now())'));
  const floorRuns = (round: number): (() => Promise<Measurement>)[] => [
    () => runPaced({ target: 'c', label: labels.c, base: hello.base, path: '/', headers: {}, rate: RATE, seconds: DURATION, dataset: mainSize, round }),
    () => runProbe({ target: 'pg-round-trip', label: 'Postgres round trip (select 1)', url: mainSeed.url, text: 'select 1', rate: PROBE_RATE, seconds: DURATION, round, dataset: mainSize }),
    () => runProbe({ target: 'pg-commit', label: 'Postgres durable commit (one-row insert)', url: mainSeed.url, text: 'insert into bench_commit_probe default values', rate: PROBE_RATE, seconds: DURATION, round, dataset: mainSize }),
  ];
  for (let round = 1; round <= steadyRounds; round++) {
    const runs: (() => Promise<Measurement>)[] = [
      () => runCannon({ target: 'a', label: labels.a, base: mainService.base, setupClient: lookupSetup(mainSample, mainOfficers.map((o) => o.token)), dataset: mainSize, round, seconds: DURATION, overallRate: RATE }),
      () => runPaced({ target: 'a', label: labels.a, base: mainService.base, path: '/v1/clearance/lookup', bodies: lookupBodies(mainSample), headers: { authorization: `Bearer ${mainOfficers[round % mainOfficers.length]!.token}` }, rate: RATE, seconds: DURATION, dataset: mainSize, round }),
      () => runCannon({ target: 'd', label: labels.d, base: pgRef.base, setupClient: lookupSetup(mainSample, mainOfficers.map((o) => o.token)), dataset: mainSize, round, seconds: DURATION, overallRate: RATE }),
      () => runPaced({ target: 'd', label: labels.d, base: pgRef.base, path: '/v1/clearance/lookup', bodies: lookupBodies(mainSample), headers: { authorization: `Bearer ${mainOfficers[0]!.token}` }, rate: RATE, seconds: DURATION, dataset: mainSize, round }),
    ];
    runs.push(...floorRuns(round));
    const rotated = [...runs.slice((round - 1) % runs.length), ...runs.slice(0, (round - 1) % runs.length)];
    for (const run of rotated) {
      check();
      const m = await withConditions(run);
      (m.target === 'a' || m.target === 'd' ? steady : floors).push(m);
      log(`steady ${m.target === 'pg-round-trip' || m.target === 'pg-commit' ? PROBE_RATE : RATE}/s round ${round} ${m.label} ${m.generator}: ${fmtRps(m.rps)} req/s p50 ${fmtMs(m.p50)} p99 ${fmtMs(m.p99)} ms non-2xx ${m.non2xx} errors ${m.errors}`);
    }
  }
  await withClient(mainSeed.url, (c) => c.query('drop table if exists bench_commit_probe'));

  // 5. scale series: the lookup on every dataset, saturated, paced light and paced at the steady rate, sizes alternating
  await warmAll(sizes);
  const scale: Measurement[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const rotated = [...sizes.slice((round - 1) % sizes.length), ...sizes.slice(0, (round - 1) % sizes.length)];
    for (const rate of [undefined, SCALE_RATE, RATE]) {
      for (const n of rotated) {
        check();
        const svc = services.get(n)!;
        const toks = officers.get(n)!.map((o) => o.token);
        const m = rate
          ? await runPaced({ target: 'a', label: '(a) lookup', base: svc.base, path: '/v1/clearance/lookup', bodies: lookupBodies(samples.get(n)!), headers: { authorization: `Bearer ${toks[round % toks.length]!}` }, rate, seconds: DURATION, dataset: n, round })
          : await runCannon({ target: 'a', label: '(a) lookup', base: svc.base, setupClient: lookupSetup(samples.get(n)!, toks), dataset: n, round, seconds: DURATION });
        scale.push(m);
        log(`scale ${String(n).padStart(8)} round ${round} ${rate ? `paced ${rate}/s` : 'saturated'}: ${fmtRps(m.rps)} req/s p50 ${fmtMs(m.p50)} p99 ${fmtMs(m.p99)} ms non-2xx ${m.non2xx}`);
      }
    }
  }

  await stopAll();

  // 6. report
  const datasets: Results['datasets'] = [];
  for (const [, s] of seeds) {
    const live = await withClient(s.url, async (c) => {
      const { rows } = await c.query<{ audit: string; crossings: string; bytes: string }>(
        `select (select count(*) from audit_events)::text as audit, (select count(*) from crossings)::text as crossings, pg_database_size(current_database())::text as bytes`,
      );
      return { auditEvents: Number(rows[0]!.audit), crossings: Number(rows[0]!.crossings), bytes: Number(rows[0]!.bytes) };
    });
    datasets.push({ ...s, live });
  }
  const finishedAt = new Date();
  const results: Results = {
    mode: quick ? 'quick' : 'full',
    command: COMMAND,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    minutes: (finishedAt.getTime() - startedAt.getTime()) / 60_000,
    machine: machine(pgVersion),
    postgres: { ...server, own: cluster !== undefined },
    loadAverage: { start: loadStart, end: os.loadavg() },
    stealShare: stealBetween(cpuStart, cpuTimes()),
    settings: { rounds: ROUNDS, duration: DURATION, warmup: WARMUP, connections: CONNECTIONS, pool: POOL, rate: RATE, scaleRate: SCALE_RATE, lookupSynchronousCommit: LOOKUP_COMMIT, mainSize, sizes },
    datasets,
    travellers: travellers.length,
    main: mainResults,
    steady,
    floors,
    scale,
  };
  mkdirSync(BENCH_RESULTS_DIR, { recursive: true });
  const jsonFile = join(BENCH_RESULTS_DIR, `bench-${results.mode}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  const report = render(results);
  writeReport(OUT, report);
  process.stdout.write(`${report}\n`);
  const shown = (f: string) => (isAbsolute(f) ? relative(ROOT, f) || f : f);
  log(`wrote ${shown(OUT)} and ${shown(jsonFile)} in ${results.minutes.toFixed(1)} minutes`);
  cluster?.stop();
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  await stopAll();
  cluster?.stop();
  process.exit(1);
});
