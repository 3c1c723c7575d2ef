/**
 * Small helpers shared by the hardening tests: a timed fetch against a listening
 * server, and a problem+json check that returns what is wrong instead of asserting
 * (so that it can be used inside fast-check properties as well as in tap).
 */

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  ms: number;
  /** Set when no HTTP answer came at all (connection refused or reset, or the timeout fired). */
  error?: string;
}

export async function call(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const started = performance.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, ms: performance.now() - started };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return {
      status: 0,
      headers: new Headers(),
      text: '',
      ms: performance.now() - started,
      error: `${e.name}: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`,
    };
  }
}

export interface ProblemLike {
  type?: unknown;
  title?: unknown;
  status?: unknown;
  detail?: unknown;
  code?: unknown;
}

/**
 * What is wrong with an error answer as an RFC 9457 problem of this API, or
 * undefined when it is a proper one: the media type, and type/title/status/detail/code.
 */
export function problemDefect(status: number, contentType: string | undefined, body: string): string | undefined {
  if (!/^application\/problem\+json(;|$)/.test(contentType ?? '')) return `content-type is ${contentType ?? '(none)'}, not application/problem+json`;
  let p: ProblemLike;
  try {
    p = JSON.parse(body) as ProblemLike;
  } catch {
    return 'the body is not JSON';
  }
  if (p === null || typeof p !== 'object') return 'the body is not an object';
  const missing = (['type', 'title', 'detail', 'code'] as const).filter((k) => typeof p[k] !== 'string' || (p[k] as string).length === 0);
  if (missing.length > 0) return `missing ${missing.join(', ')}`;
  if (p.status !== status) return `problem.status ${String(p.status)} is not the HTTP status ${status}`;
  if (!/^[A-Z][A-Z0-9_]*$/.test(p.code as string)) return `code ${String(p.code)} is not UPPER_SNAKE`;
  return undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
