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
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import type autocannon from 'autocannon';
import { type BenchCluster, startBenchCluster } from './pg-cluster.js';
import { type CannonSpec, cpuTimes, type Measurement, runCannon, runPaced, runProbe, stealBetween, withClient, withConditions } from './run/measure.js';
import { parseOptions } from './run/options.js';
import { freePort, log, ownCluster, type Proc, procs, ROOT, sleep, start, stopAll, stopAllOnExit, stopCluster, tail } from './run/processes.js';
import { render, writeReport } from './run/render.js';
import { fmtMs, fmtRps, machine, type PgServer, type Results } from './run/report.js';
import {
  CrossingState,
  crossingSetup,
  type Doc,
  documentSample,
  loadTravellers,
  lookupSetup,
  type Officer,
  officerTokens,
  prewarm,
  refreshTravellers,
} from './run/scenarios.js';
import { BENCH_RESULTS_DIR, seedSynthetic, type SeedSummary } from './seed/seed.js';

async function main(): Promise<void> {
  const options = parseOptions();
  stopAllOnExit();
  const cannon = (spec: Omit<CannonSpec, 'connections'>) => runCannon({ ...spec, connections: options.connections });
  /** The Postgres server of the datasets: BENCH_DATABASE_URL, or the benchmark's own cluster. */
  let serverUrl = process.env.BENCH_DATABASE_URL ?? '';
  let cluster: BenchCluster | undefined;
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const cpuStart = cpuTimes();
  if (!serverUrl) {
    cluster = startBenchCluster({ baseDir: join(BENCH_RESULTS_DIR, 'pgcluster'), port: await freePort(), log });
    ownCluster(cluster);
    serverUrl = cluster.url;
  }
  const server = await withClient(serverUrl, async (c) =>
    (await c.query<PgServer>(
      `select current_setting('server_version') as version, current_setting('shared_buffers') as "sharedBuffers",
              current_setting('max_wal_size') as "maxWalSize", current_setting('autovacuum') as autovacuum,
              current_setting('synchronous_commit') as "synchronousCommit"`,
    )).rows[0]!,
  );
  const pgVersion = server.version;
  log(`${options.quick ? 'quick' : 'full'} run: datasets ${options.sizes.join(', ')}, main ${options.mainSize}, ${options.rounds} rounds × ${options.duration} s, ${options.connections} connections, pool ${options.pool}`);

  // 1. datasets
  const seeds = new Map<number, SeedSummary>();
  for (const n of options.sizes) {
    log(`dataset ${n}: seeding or reusing`);
    const s = await seedSynthetic({ researchers: n, serverUrl, env: process.env.NODE_ENV ?? 'development', io: { out: log, err: log } });
    log(`dataset ${n}: ${s.database} ${s.reused ? 'reused' : `seeded in ${s.seconds} s`}`);
    seeds.set(n, s);
  }
  const samples = new Map<number, Doc[]>();
  for (const [n, s] of seeds) samples.set(n, await documentSample(s));
  const mainSeed = seeds.get(options.mainSize)!;
  const travellers = await loadTravellers(mainSeed.url, 5000);
  if (travellers.length < options.connections * 20) throw new Error(`only ${travellers.length} travellers found for the crossing workload`);
  const crossingState = new CrossingState(travellers);
  log(`${travellers.length} travellers for the crossings`);

  // 2. processes
  const jwtSecret = randomBytes(48).toString('base64url');
  const serviceEnv = (url: string) => ({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: url,
    JWT_SECRET: jwtSecret,
    DB_POOL_MAX: String(options.pool),
    TOKEN_TTL_SECONDS: '3600',
    RATE_LIMIT_PER_MINUTE: '0',
    LOOKUP_RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    AUTH_FAILURES_PER_USERNAME: '0',
    LOOKUP_SYNCHRONOUS_COMMIT: options.lookupCommit,
    // Each answer says how long it took inside the service and, for a lookup, its read and audit wait (Server-Timing).
    SERVER_TIMING: 'true',
  });
  const services = new Map<number, Proc>();
  const [hello, pgRef] = await Promise.all([
    start('ref-hello', 'bench/ref-hello.ts', { NODE_ENV: 'production' }, '/'),
    start('ref-pg', 'bench/ref-pg.ts', { NODE_ENV: 'production', DATABASE_URL: mainSeed.url, DB_POOL_MAX: String(options.pool) }, '/'),
    ...options.sizes.map(async (n) => services.set(n, await start(`service-${n}`, 'src/server.ts', serviceEnv(seeds.get(n)!.url), '/health/ready'))),
  ]);
  log(`started ${procs.map((p) => `${p.name} ${p.base}`).join(', ')}`);
  // Earlier runs leave dead rows behind: every crossing updates an item, audit_outbox rows
  // are deleted at their commit, audit_head is one row updated by every append. Autovacuum
  // cleans that up; where it is off (as on the machine these figures come from), each run
  // starts from a vacuumed state instead of measuring the bloat of the runs before it.
  const autovacuum = await withClient(serverUrl, async (c) => (await c.query<{ v: string }>(`select current_setting('autovacuum') as v`)).rows[0]!.v);
  for (const n of options.sizes) {
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
  await warmAll([options.mainSize]);
  const officers = new Map<number, Officer[]>();
  for (const n of options.sizes) officers.set(n, await officerTokens(services.get(n)!.base, seeds.get(n)!.url));
  const mainService = services.get(options.mainSize)!;
  const mainOfficers = officers.get(options.mainSize)!;
  const mainSample = samples.get(options.mainSize)!;

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
    const m = await cannon({ target, label: labels[target], base, setupClient: setup, dataset: options.mainSize, round, seconds });
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
    log(`warm-up ${labels[t]} ${options.warmup} s`);
    await measure(t, 0, options.warmup);
  }
  for (const n of options.sizes) {
    if (n === options.mainSize) continue;
    await cannon({ target: 'a', label: 'warm-up', base: services.get(n)!.base, setupClient: lookupSetup(samples.get(n)!, officers.get(n)!.map((o) => o.token)), dataset: n, round: 0, seconds: options.warmup });
  }
  const mainResults: Measurement[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const rotated = [...order.slice((round - 1) % order.length), ...order.slice(0, (round - 1) % order.length)];
    for (const t of rotated) {
      const m = await measure(t, round, options.duration);
      mainResults.push(m);
      log(
        `round ${round} ${labels[t].padEnd(13)} ${fmtRps(m.rps).padStart(7)} req/s  p50 ${fmtMs(m.p50)}  p99 ${fmtMs(m.p99)} ms` +
          `  non-2xx ${m.non2xx}  errors ${m.errors}${m.cleared !== undefined ? `  CLEARED ${fmtRps(m.clearedPerSecond!)}/s, FLAGGED ${m.flagged}` : ''}`,
      );
    }
  }

  // 4. steady rate: autocannon overallRate and the paced generator, service and bare pg, alternating
  await warmAll([options.mainSize]);
  const steady: Measurement[] = [];
  const lookupBodies = (sample: Doc[]) => sample.map((d) => JSON.stringify({ document: { kind: d.kind, number: d.number } }));
  const steadyRounds = options.quick ? 1 : options.rounds;
  // The floors, measured alongside: the hello-world at the same pace (HTTP on this machine),
  // and one Postgres round trip and one durable commit, alone (the lookup makes one of each).
  const floors: Measurement[] = [];
  await withClient(mainSeed.url, (c) => c.query('create table if not exists bench_commit_probe (id bigint generated always as identity primary key, at timestamptz not null default now())'));
  const floorRuns = (round: number): (() => Promise<Measurement>)[] => [
    () => runPaced({ target: 'c', label: labels.c, base: hello.base, path: '/', headers: {}, rate: options.rate, seconds: options.duration, dataset: options.mainSize, round }),
    () => runProbe({ target: 'pg-round-trip', label: 'Postgres round trip (select 1)', url: mainSeed.url, text: 'select 1', rate: options.probeRate, seconds: options.duration, round, dataset: options.mainSize }),
    () => runProbe({ target: 'pg-commit', label: 'Postgres durable commit (one-row insert)', url: mainSeed.url, text: 'insert into bench_commit_probe default values', rate: options.probeRate, seconds: options.duration, round, dataset: options.mainSize }),
  ];
  for (let round = 1; round <= steadyRounds; round++) {
    const runs: (() => Promise<Measurement>)[] = [
      () => cannon({ target: 'a', label: labels.a, base: mainService.base, setupClient: lookupSetup(mainSample, mainOfficers.map((o) => o.token)), dataset: options.mainSize, round, seconds: options.duration, overallRate: options.rate }),
      () => runPaced({ target: 'a', label: labels.a, base: mainService.base, path: '/v1/clearance/lookup', bodies: lookupBodies(mainSample), headers: { authorization: `Bearer ${mainOfficers[round % mainOfficers.length]!.token}` }, rate: options.rate, seconds: options.duration, dataset: options.mainSize, round }),
      () => cannon({ target: 'd', label: labels.d, base: pgRef.base, setupClient: lookupSetup(mainSample, mainOfficers.map((o) => o.token)), dataset: options.mainSize, round, seconds: options.duration, overallRate: options.rate }),
      () => runPaced({ target: 'd', label: labels.d, base: pgRef.base, path: '/v1/clearance/lookup', bodies: lookupBodies(mainSample), headers: { authorization: `Bearer ${mainOfficers[0]!.token}` }, rate: options.rate, seconds: options.duration, dataset: options.mainSize, round }),
    ];
    runs.push(...floorRuns(round));
    const rotated = [...runs.slice((round - 1) % runs.length), ...runs.slice(0, (round - 1) % runs.length)];
    for (const run of rotated) {
      check();
      const m = await withConditions(serverUrl, run);
      (m.target === 'a' || m.target === 'd' ? steady : floors).push(m);
      log(`steady ${m.target === 'pg-round-trip' || m.target === 'pg-commit' ? options.probeRate : options.rate}/s round ${round} ${m.label} ${m.generator}: ${fmtRps(m.rps)} req/s p50 ${fmtMs(m.p50)} p99 ${fmtMs(m.p99)} ms non-2xx ${m.non2xx} errors ${m.errors}`);
    }
  }
  await withClient(mainSeed.url, (c) => c.query('drop table if exists bench_commit_probe'));

  // 5. scale series: the lookup on every dataset, saturated, paced light and paced at the steady rate, sizes alternating
  await warmAll(options.sizes);
  const scale: Measurement[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const rotated = [...options.sizes.slice((round - 1) % options.sizes.length), ...options.sizes.slice(0, (round - 1) % options.sizes.length)];
    for (const rate of [undefined, options.scaleRate, options.rate]) {
      for (const n of rotated) {
        check();
        const svc = services.get(n)!;
        const toks = officers.get(n)!.map((o) => o.token);
        const m = rate
          ? await runPaced({ target: 'a', label: '(a) lookup', base: svc.base, path: '/v1/clearance/lookup', bodies: lookupBodies(samples.get(n)!), headers: { authorization: `Bearer ${toks[round % toks.length]!}` }, rate, seconds: options.duration, dataset: n, round })
          : await cannon({ target: 'a', label: '(a) lookup', base: svc.base, setupClient: lookupSetup(samples.get(n)!, toks), dataset: n, round, seconds: options.duration });
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
    mode: options.quick ? 'quick' : 'full',
    command: options.command,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    minutes: (finishedAt.getTime() - startedAt.getTime()) / 60_000,
    machine: machine(pgVersion),
    postgres: { ...server, own: cluster !== undefined },
    loadAverage: { start: loadStart, end: os.loadavg() },
    stealShare: stealBetween(cpuStart, cpuTimes()),
    settings: {
      rounds: options.rounds,
      duration: options.duration,
      warmup: options.warmup,
      connections: options.connections,
      pool: options.pool,
      rate: options.rate,
      scaleRate: options.scaleRate,
      lookupSynchronousCommit: options.lookupCommit,
      mainSize: options.mainSize,
      sizes: options.sizes,
    },
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
  writeReport(options.out, report);
  process.stdout.write(`${report}\n`);
  const shown = (f: string) => (isAbsolute(f) ? relative(ROOT, f) || f : f);
  log(`wrote ${shown(options.out)} and ${shown(jsonFile)} in ${results.minutes.toFixed(1)} minutes`);
  cluster?.stop();
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  await stopAll();
  stopCluster();
  process.exit(1);
});
