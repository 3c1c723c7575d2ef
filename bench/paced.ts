/**
 * The paced, open-loop load generator, run in a process of its own (PacedGenerator):
 * request i is due at start + i/rate, whatever happened to the others, and its latency
 * counts from when it was due (no coordinated omission).
 *
 * Why a process of its own: the benchmark's main process holds every measurement, the
 * samples and autocannon's state, and its garbage collector pauses for milliseconds at a
 * time (scavenges of 2–6 ms and a mark-compact of 7–9 ms were seen in one quick run, in
 * the middle of the paced rounds). An answer that arrives during such a pause waits
 * until it ends, and its latency would be charged to the server being measured. The
 * generator's process holds only what one run needs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseServerTiming } from '../src/http/server-timing.js';
import { RawHttpConnection, rawRequest } from './raw-http.js';

export interface Percentiles {
  p50: number;
  p975: number;
  p99: number;
  max: number;
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Latencies in milliseconds, kept exactly. */
export class Latencies {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
  /** The percentiles every table reports, and the largest. */
  summary(): Percentiles {
    const sorted = this.sorted();
    return {
      p50: percentile(sorted, 0.5),
      p975: percentile(sorted, 0.975),
      p99: percentile(sorted, 0.99),
      max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    };
  }
}

/** One paced run: plain data, sent to the generator's process. */
export interface PacedSpec {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  /** POST one of these bodies, picked at random for each request; GET when absent. */
  bodies?: string[];
  rate: number;
  seconds: number;
}

export interface PacedResult {
  /** Answers received. */
  requests: number;
  rps: number;
  latency: Percentiles;
  /** Requests that failed on their connection, or had no answer 5 s after the run. */
  errors: number;
  /** Of the errors: requests with no answer 5 s after the run. */
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** How late the generator sent each request after it was due. */
  sendLag: Percentiles;
  /** The percentiles of each Server-Timing entry of the answers, when the server sent them. */
  serverTiming?: Record<string, Percentiles>;
}

/** Runs one paced run in this process. */
export function pacedLoop(spec: PacedSpec): Promise<PacedResult> {
  const hostHeader = `${spec.host}:${spec.port}`;
  const lat = new Latencies();
  const stages = new Map<string, Latencies>();
  const sendLag = new Latencies();
  const codes: Record<string, number> = {};
  let errors = 0;
  let sent = 0;
  let done = 0;
  // Up to 64 keep-alive connections, opened as needed; a request due while all are busy waits
  // for one (its latency still counts from when it was due).
  const idle: RawHttpConnection[] = [];
  const open: RawHttpConnection[] = [];
  const queued: { request: string; due: number }[] = [];
  const t0 = performance.now();
  return new Promise((resolve) => {
    const dispatch = (conn: RawHttpConnection, request: string, due: number) => {
      // How late the generator itself sends (its timer, its share of the cores, a free connection): part of every latency.
      sendLag.push(performance.now() - due);
      conn.send(request).then(
        (status) => {
          lat.push(performance.now() - due);
          if (conn.serverTiming) {
            for (const [name, ms] of Object.entries(parseServerTiming(conn.serverTiming))) {
              let stage = stages.get(name);
              if (!stage) stages.set(name, (stage = new Latencies()));
              stage.push(ms);
            }
          }
          const c = String(status);
          codes[c] = (codes[c] ?? 0) + 1;
          done += 1;
          const next = queued.shift();
          if (next) dispatch(conn, next.request, next.due);
          else idle.push(conn);
        },
        () => {
          errors += 1;
          done += 1;
          open.splice(open.indexOf(conn), 1);
          const next = queued.shift();
          if (next) fire(next.request, next.due);
        },
      );
    };
    const fire = (request: string, due: number) => {
      let conn = idle.pop();
      // A server may close a keep-alive connection that sat idle: forget it, take another.
      while (conn?.closed) {
        open.splice(open.indexOf(conn), 1);
        conn = idle.pop();
      }
      if (!conn && open.length < 64) {
        conn = new RawHttpConnection(spec.host, spec.port);
        open.push(conn);
      }
      if (conn) dispatch(conn, request, due);
      else queued.push({ request, due });
    };
    const bodies = spec.bodies;
    const requestFor = () =>
      bodies
        ? rawRequest('POST', spec.path, hostHeader, spec.headers, bodies[Math.floor(Math.random() * bodies.length)]!)
        : rawRequest('GET', spec.path, hostHeader, spec.headers);
    const total = spec.rate * spec.seconds;
    const timer = setInterval(() => {
      const elapsed = (performance.now() - t0) / 1000;
      // Request i is due at i / rate: those due by now are 0 … floor(elapsed × rate).
      const due = Math.min(Math.floor(elapsed * spec.rate) + 1, total);
      while (sent < due) {
        fire(requestFor(), t0 + (sent / spec.rate) * 1000);
        sent += 1;
      }
      if (elapsed >= spec.seconds) {
        clearInterval(timer);
        // Requests still queued when the time is up get 5 s to finish; the rest count as unfinished (errors).
        const waitUntil = performance.now() + 5_000;
        const finish = setInterval(() => {
          if (done >= sent || performance.now() > waitUntil) {
            clearInterval(finish);
            for (const conn of open) conn.destroy();
            const non2xx = Object.entries(codes).reduce((s, [c, n]) => (c.startsWith('2') ? s : s + n), 0);
            resolve({
              requests: done,
              rps: lat.length / ((performance.now() - t0) / 1000),
              latency: lat.summary(),
              errors: errors + (sent - done),
              timeouts: sent - done,
              non2xx,
              statusCodes: codes,
              sendLag: sendLag.summary(),
              ...(stages.size > 0 ? { serverTiming: Object.fromEntries([...stages].map(([name, l]) => [name, l.summary()])) } : {}),
            });
          }
        }, 20);
      }
    }, 1);
  });
}

/** The generator's process (bench/paced-child.ts): one run at a time, asked for and answered over IPC. */
export class PacedGenerator {
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.once('exit', () => (this.exited = true));
  }

  static start(): PacedGenerator {
    const entry = fileURLToPath(new URL('./paced-child.ts', import.meta.url));
    return new PacedGenerator(spawn(process.execPath, ['--import', 'tsx', entry], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  run(spec: PacedSpec): Promise<PacedResult> {
    if (this.exited) return Promise.reject(new Error('the paced generator has exited'));
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the paced generator exited (${code}) during a run`));
      this.child.once('exit', onExit);
      this.child.once('message', (result) => {
        this.child.off('exit', onExit);
        resolve(result as PacedResult);
      });
      this.child.send(spec);
    });
  }

  close(): void {
    if (!this.exited) this.child.kill();
  }
}
