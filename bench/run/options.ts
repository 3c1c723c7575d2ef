// The options of `npm run bench`, read once by parseOptions (--help and usage mistakes exit here).
import { join } from 'node:path';
import { LOOKUP_SYNCHRONOUS_COMMIT, type LookupSynchronousCommit } from '../../src/config.js';
import { benchArgs, oneOf } from '../args.js';
import { BENCH_RESULTS_DIR } from '../seed/seed.js';
import { ROOT } from './processes.js';

export const USAGE = `Usage: npm run bench [-- options]   (npm run bench:quick = --quick)

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

export interface BenchOptions {
  quick: boolean;
  lookupCommit: LookupSynchronousCommit;
  /** Datasets of the scale series, ascending; the main one among them. */
  sizes: number[];
  mainSize: number;
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  pool: number;
  rate: number;
  scaleRate: number;
  /** Pace of the Postgres floor probes (one connection, one statement at a time). */
  probeRate: number;
  out: string;
  /** The command line, as the report shows it. */
  command: string;
}

export function parseOptions(argv = process.argv.slice(2)): BenchOptions {
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
    argv,
  );
  const quick = opt.quick;
  const lookupCommit = oneOf('lookup-synchronous-commit', opt['lookup-synchronous-commit'], LOOKUP_SYNCHRONOUS_COMMIT, USAGE);
  const int = (v: string | undefined, d: number) => (v === undefined ? d : Number(v.replace(/[_,]/g, '')));
  const sizes = [...new Set((opt.sizes ?? (quick ? '10000,100000' : '10000,100000,1000000')).split(',').map((s) => int(s, 0)))];
  const mainSize = int(opt.main, quick ? Math.min(...sizes) : Math.max(...sizes));
  if (!sizes.includes(mainSize)) sizes.push(mainSize);
  sizes.sort((a, b) => a - b);
  const o = {
    rounds: int(opt.rounds, quick ? 2 : 3),
    duration: int(opt.duration, quick ? 3 : 10),
    warmup: int(opt.warmup, quick ? 1 : 3),
    connections: int(opt.connections, 32),
    pool: int(opt.pool, 10),
    rate: int(opt.rate, 1000),
    scaleRate: int(opt['scale-rate'], 100),
  };
  const checked = {
    sizes: Math.min(...sizes),
    ROUNDS: o.rounds,
    DURATION: o.duration,
    CONNECTIONS: o.connections,
    POOL: o.pool,
    RATE: o.rate,
    SCALE_RATE: o.scaleRate,
  };
  for (const [name, v] of Object.entries(checked)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`bench: ${name} must be a positive integer`);
  }
  const extra = argv.filter((a) => a !== '--quick');
  return {
    quick,
    lookupCommit,
    sizes,
    mainSize,
    ...o,
    probeRate: 200,
    out: opt.out ?? (quick ? join(BENCH_RESULTS_DIR, 'performance-quick.md') : join(ROOT, 'docs', 'performance.md')),
    command: `npm run bench${quick ? ':quick' : ''}${extra.length ? ` -- ${extra.join(' ')}` : ''}`,
  };
}
