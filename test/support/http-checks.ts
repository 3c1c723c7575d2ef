import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
}

/**
 * Asserts that a response is an RFC 9457 problem of the given status (and code):
 * the media type, and the fields every problem of this API carries.
 */
export function assertProblem(t: Test, res: LightMyRequestResponse, status: number, code?: string): ProblemBody {
  const where = `${status}${code ? ` ${code}` : ''}`;
  t.equal(res.statusCode, status, `status ${status} (${res.body.slice(0, 300)})`);
  t.match(String(res.headers['content-type']), /^application\/problem\+json(;|$)/, `${where}: content-type is application/problem+json`);
  let body: ProblemBody;
  try {
    body = JSON.parse(res.body) as ProblemBody;
  } catch {
    t.ok(false, `${where}: the body is JSON`);
    return { type: '', title: '', status: 0, detail: '', code: '' };
  }
  t.equal(body.status, status, `${where}: problem.status matches the HTTP status`);
  t.ok(typeof body.type === 'string' && body.type.length > 0, `${where}: problem.type is set`);
  t.ok(typeof body.title === 'string' && body.title.length > 0, `${where}: problem.title is set`);
  t.ok(typeof body.detail === 'string' && body.detail.length > 0, `${where}: problem.detail is set`);
  t.ok(typeof body.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(body.code), `${where}: problem.code is a stable UPPER_SNAKE code`);
  if (code !== undefined) t.equal(body.code, code, `problem.code is ${code}`);
  if (body.errors !== undefined) {
    t.ok(
      Array.isArray(body.errors) && body.errors.every((e) => typeof e.path === 'string' && typeof e.message === 'string'),
      `${where}: errors are [{path, message}]`,
    );
  }
  return body;
}

/** A writable stream that keeps everything written to it, for log assertions. */
export function captureStream(): { stream: Writable; text(): string; lines(): Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      cb();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/**
 * The routes of an app, from `app.printRoutes({ commonPrefix: false })`: every
 * (method, url) pair, with the tree's segments joined back into full urls.
 */
export function parsePrintedRoutes(printed: string): { method: string; url: string }[] {
  const routes: { method: string; url: string }[] = [];
  const stack: { level: number; path: string }[] = [];
  for (const line of printed.split('\n')) {
    const m = /^([\s│├└─]*)(\S.*?)(?: \(([A-Z, ]+)\))?\s*$/.exec(line);
    if (!m || m[2] === undefined) continue;
    const level = m[1]!.length;
    while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop();
    const path = `${stack.length > 0 ? stack[stack.length - 1]!.path : ''}${m[2]}`;
    stack.push({ level, path });
    if (m[3]) for (const method of m[3].split(',').map((s) => s.trim())) routes.push({ method, url: path });
  }
  return routes;
}

/** Fastify's `:param` to OpenAPI's `{param}`. */
export const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
