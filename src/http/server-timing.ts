import type { FastifyRequest } from 'fastify';

/**
 * Server-Timing (W3C), when SERVER_TIMING is on: every answer says how long it took
 * inside the service (`app`, from the request's arrival to its answer being sent), and
 * a route that measures its stages adds them (the lookup: `db`, its statement — the read and
 * the audit event, committed). Off by
 * default; the benchmark turns it on to split a lookup's latency between the service's
 * stages and what lies outside it (the network, the event loop's queue, the load generator).
 */
const timings = new WeakMap<FastifyRequest, { start: number; stages: string[] }>();

/** The request has arrived (the first onRequest hook). */
export function startTiming(request: FastifyRequest): void {
  timings.set(request, { start: performance.now(), stages: [] });
}

/** A stage of this request's work, in milliseconds. */
export function recordStage(request: FastifyRequest, name: string, ms: number): void {
  timings.get(request)?.stages.push(`${name};dur=${ms.toFixed(2)}`);
}

/** The header for this answer: the whole so far, then the stages in the order they were recorded. */
export function serverTimingHeader(request: FastifyRequest): string {
  const t = timings.get(request);
  const app = t ? performance.now() - t.start : 0;
  return [`app;dur=${app.toFixed(2)}`, ...(t?.stages ?? [])].join(', ');
}

/** `app;dur=1.20, read;dur=0.40` → { app: 1.2, read: 0.4 } (entries without a duration are left out). */
export function parseServerTiming(header: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
    if (!name || !dur) continue;
    const ms = Number(dur.slice(4));
    if (Number.isFinite(ms)) out[name.trim()] = ms;
  }
  return out;
}
