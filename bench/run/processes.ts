// The processes of a run: the service and the references as children, the paced generator, and their end.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envSchema } from '../../src/config.js';
import { PacedGenerator } from '../paced.js';
import type { BenchCluster } from '../pg-cluster.js';
import { BENCH_RESULTS_DIR } from '../seed/seed.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const T0 = performance.now();

export function log(line: string): void {
  process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Proc {
  name: string;
  child: ChildProcess;
  base: string;
  logFile: string;
  exited: boolean;
}
export const procs: Proc[] = [];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export function httpJson(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
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

export async function start(name: string, script: string, env: Record<string, string>, readyPath: string): Promise<Proc> {
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

export function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** The paced generator's process, started on first use, stopped with the services. */
let generator: PacedGenerator | undefined;
export function pacedGenerator(): PacedGenerator {
  generator ??= PacedGenerator.start();
  return generator;
}

export async function stopAll(): Promise<void> {
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

/** The benchmark's own Postgres cluster, when it started one: stopped on the way out. */
let cluster: BenchCluster | undefined;
export function ownCluster(c: BenchCluster | undefined): void {
  cluster = c;
}
export function stopCluster(): void {
  cluster?.stop();
}

/** Nothing outlives the run: children killed on exit, a stop on SIGINT/SIGTERM. */
export function stopAllOnExit(): void {
  process.on('exit', () => {
    for (const p of procs) if (!p.exited) p.child.kill('SIGKILL');
    cluster?.stop();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stopAll().then(() => process.exit(130));
    });
  }
}
