/**
 * `npx tsx bench/profile.ts [--researchers N] [--workload lookup|crossing|pg] [--seconds S] [--connections C] [--cpu-prof]`
 *
 * Where the time of one workload goes, on a seeded bench database (npm run bench:seed):
 * CPU used by the server process, by the Postgres backends serving it and by this
 * load generator, and what the backends of the server wait on (pg_stat_activity
 * sampled every 10 ms: CPU, Lock/advisory, IO/WALSync, Client/ClientRead …).
 * With --cpu-prof, the server writes a V8 CPU profile and the hottest functions are listed.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { BENCH_PASSWORD, BENCH_RESULTS_DIR, benchDatabaseName, sampleFileOf, withDatabaseName } from './seed/seed.js';
import { envSchema } from '../src/config.js';
import { benchArgs, oneOf } from './args.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE = `Usage: npx tsx bench/profile.ts [options]

  --researchers N      the seeded bench database hetao_bench_<N> (default 1000000)
  --workload W         lookup, crossing or pg (the bare pg reference) (default lookup)
  --seconds S          length of the run (default 10)
  --connections C      autocannon connections (default 32)
  --pool P             pg pool size of the server (default 10)
  --cpu-prof           write the server's V8 CPU profile and list its hottest functions

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
`;
const values = benchArgs(
  {
    researchers: { type: 'string', default: '1000000' },
    workload: { type: 'string', default: 'lookup' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    pool: { type: 'string', default: '10' },
    'cpu-prof': { type: 'boolean', default: false },
  },
  USAGE,
);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = benchDatabaseName(Number(values.researchers));
const url = withDatabaseName(SERVER_URL, database);
const workload = oneOf('workload', values.workload, ['lookup', 'crossing', 'pg'] as const, USAGE);
const seconds = Number(values.seconds);
const appName = workload === 'pg' ? 'hetao-bench-ref-pg' : 'hetao-clearance';

function port(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: s }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Busy clock ticks of the whole machine (all cores), from /proc/stat. */
function machineBusyTicks(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
}

/** utime + stime of a process, in clock ticks (100 per second on Linux). */
function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const p = await port();
  const base = `http://127.0.0.1:${p}`;
  const profDir = join(BENCH_RESULTS_DIR, 'profiles', `${workload}-${Date.now()}`);
  mkdirSync(profDir, { recursive: true });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !Object.keys(envSchema.shape).includes(k)) env[k] = v;
  Object.assign(env, {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(p),
    LOG_LEVEL: 'warn',
    DATABASE_URL: url,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    DB_POOL_MAX: values.pool!,
    RATE_LIMIT_PER_MINUTE: '0',
    LOOKUP_RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    AUTH_FAILURES_PER_USERNAME: '0',
  });
  const script = workload === 'pg' ? 'bench/ref-pg.ts' : 'src/server.ts';
  const args = [...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), '--import', 'tsx', script];
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; ; i++) {
    try {
      const ready = await new Promise<number>((resolve, reject) =>
        http.get(`${base}${workload === 'pg' ? '/' : '/health/ready'}`, (r) => (r.resume(), resolve(r.statusCode ?? 0))).on('error', reject),
      );
      if (ready === 200) break;
    } catch {
      // starting
    }
    if (i > 600) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }

  const docs = (JSON.parse(readFileSync(sampleFileOf(database), 'utf8')) as { documents: { kind: string; number: string }[] }).documents;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const officers = (await admin.query<{ username: string; checkpoint: string }>(`select username, checkpoint from users where username like 'bench-officer-%'`)).rows;
  const tokens: { token: string; checkpoint: string }[] = [];
  if (workload !== 'pg') {
    for (const o of officers) {
      const r = await post(base, '/v1/auth/token', { grant_type: 'password', username: o.username, password: BENCH_PASSWORD });
      tokens.push({ token: (JSON.parse(r.body) as { access_token: string }).access_token, checkpoint: o.checkpoint });
    }
  }
  const travellers =
    workload === 'crossing'
      ? (
          await admin.query<{ kind: string; number: string; item_id: string; current_side: string }>(
            `select distinct on (r.id) d.kind, d.number, it.id as item_id, it.current_side
               from researchers r join institutions i on i.id = r.institution_id and i.status = 'active'
               join item_custodians c on c.researcher_id = r.id join items it on it.id = c.item_id
               join identity_documents d on d.researcher_id = r.id and d.kind <> 'passport' and d.expires_on > current_date + 2
              where r.status = 'approved' and r.valid_from < current_date - 1 and r.valid_until > current_date + 2
                and it.category = 'equipment' and it.status = 'approved' and it.valid_until > current_date + 2
                and not exists (select 1 from item_custodians c2 join items i2 on i2.id = c2.item_id where c2.researcher_id = r.id and i2.return_by < now() + interval '2 days')
              limit 3000`,
          )
        ).rows
          // One traveller per item (an item may have two custodians): no two requests declare the same item.
          .filter((r, i, all) => all.findIndex((o) => o.item_id === r.item_id) === i)
          .map((r) => ({ ...r, busy: false }))
      : [];
  let next = 0;

  // Samplers: wait events of the server's backends, CPU of every process involved.
  const waits = new Map<string, number>();
  let samples = 0;
  let sampling = true;
  const backendPids = new Set<number>();
  const sampler = (async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    while (sampling) {
      const { rows } = await c.query<{ pid: number; state: string; wt: string | null; w: string | null }>(
        `select pid, state, wait_event_type as wt, wait_event as w from pg_stat_activity where application_name like $1 || '%' and datname = current_database() and pid <> pg_backend_pid()`,
        [appName],
      );
      samples += 1;
      for (const r of rows) {
        backendPids.add(r.pid);
        const key = r.state === 'active' ? (r.wt ? `${r.wt}/${r.w}` : 'active, on CPU') : r.state === 'idle' ? 'idle (waiting for the server)' : `${r.state}${r.wt ? ` (${r.wt}/${r.w})` : ''}`;
        waits.set(key, (waits.get(key) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await c.end();
  })();

  // The server's backends: its pool is opened at start (health check), so they exist now.
  const pids = (
    await admin.query<{ pid: number }>(`select pid from pg_stat_activity where application_name like $1 || '%' and datname = current_database()`, [appName])
  ).rows.map((r) => r.pid);
  const backendsBefore = new Map(pids.map((pid) => [pid, cpuTicks(pid)]));
  const machineBefore = machineBusyTicks();
  const serverBefore = cpuTicks(child.pid!);
  const selfBefore = process.cpuUsage();
  const t0 = performance.now();
  const result = await autocannon({
    url: base,
    connections: Number(values.connections),
    duration: seconds,
    requests: [{ method: 'GET', path: '/' }],
    setupClient: (client) => {
      const officer = tokens[Math.floor(Math.random() * Math.max(1, tokens.length))];
      let current: (typeof travellers)[number] | undefined;
      client.setRequests([
        {
          method: 'POST',
          path: workload === 'crossing' ? '/v1/crossings' : '/v1/clearance/lookup',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${officer?.token ?? 'none'}` },
          setupRequest: (req) => {
            if (workload === 'crossing') {
              let t = travellers[next++ % travellers.length]!;
              while (t.busy) t = travellers[next++ % travellers.length]!;
              t.busy = true;
              current = t;
              req.headers = { ...req.headers, 'idempotency-key': randomUUID() };
              req.body = JSON.stringify({
                checkpoint: officer!.checkpoint,
                direction: t.current_side === 'SZ' ? 'SZ_TO_HK' : 'HK_TO_SZ',
                traveller: { document: { kind: t.kind, number: t.number } },
                items: [{ itemId: t.item_id }],
              });
            } else {
              const d = docs[Math.floor(Math.random() * docs.length)]!;
              req.body = JSON.stringify({ document: { kind: d.kind, number: d.number } });
            }
            return req;
          },
          onResponse: (_status, body) => {
            if (current) {
              if (/"decision":"CLEARED"/.test(body)) current.current_side = current.current_side === 'SZ' ? 'HK' : 'SZ';
              current.busy = false;
              current = undefined;
            }
          },
        },
      ]);
    },
  });
  const elapsed = (performance.now() - t0) / 1000;
  const serverCpu = (cpuTicks(child.pid!) - serverBefore) / 100 / elapsed;
  const self = process.cpuUsage(selfBefore);
  const machineCpu = (machineBusyTicks() - machineBefore) / 100 / elapsed;
  // Backends opened during the run (the pool grows to its maximum) started from 0.
  const after = (
    await admin.query<{ pid: number }>(`select pid from pg_stat_activity where application_name like $1 || '%' and datname = current_database()`, [appName])
  ).rows.map((r) => r.pid);
  let backendTicks = 0;
  for (const pid of new Set([...pids, ...after])) backendTicks += cpuTicks(pid) - (backendsBefore.get(pid) ?? 0);
  const backendCpu = backendTicks / 100 / elapsed;
  const selfCpu = (self.user + self.system) / 1e6 / elapsed;
  sampling = false;
  await sampler;
  // Backends' CPU over the run is not kept per backend by Postgres; their share is read from wait samples instead.
  await admin.end();

  const total = [...waits.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(
    `\n${workload} on ${database}: ${Math.round(result.requests.total / result.duration)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}\n` +
      `CPU, in cores busy over the run (of ${(await import('node:os')).cpus().length}): machine ${machineCpu.toFixed(2)} = server process ${serverCpu.toFixed(2)} + ` +
      `its Postgres backends ${backendCpu.toFixed(2)} + this load generator ${selfCpu.toFixed(2)} + everything else ${(machineCpu - serverCpu - backendCpu - selfCpu).toFixed(2)}\n` +
      `per request: server ${((serverCpu / (result.requests.total / result.duration)) * 1000).toFixed(2)} ms CPU, Postgres ${((backendCpu / (result.requests.total / result.duration)) * 1000).toFixed(2)} ms CPU\n` +
      `the server's ${backendPids.size} Postgres backends, ${samples} samples of pg_stat_activity (share of backend-samples):\n` +
      [...waits.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `  ${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
        .join('\n') +
      '\n',
  );

  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  if (values['cpu-prof']) {
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as {
        nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
        samples: number[];
        timeDeltas: number[];
      };
      const byId = new Map(prof.nodes.map((n) => [n.id, n]));
      const self = new Map<string, number>();
      prof.samples.forEach((id, i) => {
        const n = byId.get(id)!;
        const where = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|bench)\//, '$1/');
        const key = `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
        self.set(key, (self.get(key) ?? 0) + (prof.timeDeltas[i] ?? 0));
      });
      const all = [...self.values()].reduce((a, b) => a + b, 0);
      process.stdout.write(`server CPU profile (${join(profDir, file)}), self time:\n`);
      for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
        process.stdout.write(`  ${((v / all) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
      }
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
