// Issue 17, findings 5, 6 and 9, probed on a listening server as an outside client sees it:
// an over-limit body gets a clean 413 problem (not a reset) even while it is still being sent,
// from fetch and from a raw socket; a body that trickles is cut after BODY_TIMEOUT_MS with a
// 408 problem; and what Node's parser refuses before the app sees a request (431, a malformed
// request line, Content-Length with Transfer-Encoding) is a problem+json too.
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { DRAIN_CAP_BYTES } from '../../src/http/edges.js';
import { buildTestApp } from '../support/app.js';
import { problemDefect } from '../support/http-calls.js';
import { sleep } from '../support/http-calls.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** A socket error (EPIPE, ECONNRESET) seen before the connection closed. */
  error?: string;
  /** Milliseconds from connecting until the server closed the connection. */
  closedAfterMs: number;
}

/** Parses the first HTTP/1.1 answer in what a raw socket received. */
function parseAnswer(raw: string): Pick<RawAnswer, 'status' | 'headers' | 'body'> {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? NaN);
  const rest = end < 0 ? '' : raw.slice(end + 4);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: Number.isNaN(length) ? rest : rest.slice(0, length) };
}

/**
 * Opens a raw TCP connection, writes `head` then `body` (all of it, in one go or as
 * `trickle` writes one byte every `trickle.everyMs`), and collects what comes back
 * until the server closes the connection (or `timeoutMs` passes).
 */
function rawRequest(
  port: number,
  head: string,
  opts: { body?: Buffer | string; trickle?: { everyMs: number }; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let ticker: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      error ??= 'still open at the timeout';
      socket.destroy();
    }, opts.timeoutMs ?? 15_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (e: Error & { code?: string }) => {
      error ??= e.code ?? e.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      clearInterval(ticker);
      resolve({ ...parseAnswer(Buffer.concat(chunks).toString('utf8')), ...(error ? { error } : {}), closedAfterMs: Date.now() - started });
    });
    socket.write(head);
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    if (body && opts.trickle) {
      let i = 0;
      ticker = setInterval(() => {
        if (i < body.length && !socket.destroyed) socket.write(body.subarray(i, ++i));
      }, opts.trickle.everyMs);
    } else if (body) {
      socket.write(body);
    }
  });
}

function assertRawProblem(t: Test, res: RawAnswer, status: number, code: string, what: string): void {
  t.equal(res.status, status, `${what}: status ${status} (got ${res.status}${res.error ? `, ${res.error}` : ''}: ${res.body.slice(0, 160)})`);
  t.equal(problemDefect(status, res.headers['content-type'], res.body), undefined, `${what}: an RFC 9457 problem`);
  if (res.body.startsWith('{')) t.equal((JSON.parse(res.body) as { code?: string }).code, code, `${what}: code ${code}`);
}

const LIMIT = 1024 * 1024;

t.test('finding 5: over-limit bodies get a clean 413 problem, never a reset, from fetch and from a raw socket', async (t) => {
  const ctx = await buildTestApp(t, { env: { BODY_LIMIT_BYTES: String(LIMIT) } });
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (ctx.app.server.address() as { port: number }).port;
  // A public JSON route (the token endpoint): the 413 comes from the body limit, not from a sign-in.
  const url = `http://127.0.0.1:${port}/v1/auth/token`;
  // 3 MB and 24 MB, the larger ones more than the kernel's socket buffers take at once.
  const sizes = [3, 24];
  const bodies = sizes.map((mb) => Buffer.from(JSON.stringify({ grant_type: 'password', username: 'u', password: 'x'.repeat(mb * 1024 * 1024) })));

  let clean = 0;
  const failures: string[] = [];
  for (let i = 0; i < 50; i++) {
    const body = bodies[i % bodies.length]!;
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(15_000) });
      const text = await res.text();
      const defect = res.status === 413 ? problemDefect(413, res.headers.get('content-type') ?? undefined, text) : `status ${res.status}`;
      if (defect === undefined && (JSON.parse(text) as { code: string }).code === 'PAYLOAD_TOO_LARGE') clean += 1;
      else failures.push(`${body.length} bytes: ${defect ?? text.slice(0, 100)}`);
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      failures.push(`${body.length} bytes: ${e.name} ${e.cause?.code ?? e.message}`);
    }
  }
  t.equal(clean, 50, `fetch: 50 clean 413 problems of 50 (${failures.slice(0, 5).join('; ')})`);

  let rawClean = 0;
  const rawFailures: string[] = [];
  for (let i = 0; i < 50; i++) {
    const body = bodies[i % bodies.length]!;
    // Every other one asks to close, so both ways Node ends a connection are covered.
    const res = await rawRequest(
      port,
      `POST /v1/auth/token HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${i % 2 === 0 ? 'Connection: close\r\n' : ''}\r\n`,
      { body },
    );
    const defect = res.error ?? (res.status === 413 ? problemDefect(413, res.headers['content-type'], res.body) : `status ${res.status}`);
    if (defect === undefined) rawClean += 1;
    else rawFailures.push(`${body.length} bytes: ${defect}`);
  }
  t.equal(rawClean, 50, `raw socket: 50 clean 413 problems of 50, the whole body written without EPIPE or reset (${rawFailures.slice(0, 5).join('; ')})`);

  // And the connection is still good for what comes after a body under the limit.
  const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'password', username: 'nobody', password: 'x' }) });
  t.equal(ok.status, 401, 'a body under the limit is read and answered (401: no such account)');
});

t.test('finding 5: after an early answer on a kept-alive connection, the body is read through and the next request is answered', async (t) => {
  const ctx = await buildTestApp(t);
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (ctx.app.server.address() as { port: number }).port;
  const socket = connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  socket.on('error', () => {});
  // No token: a 401 from the first hook, before the 200 KB body is read; then a second request on the same connection.
  const body = JSON.stringify({ name: 'x'.repeat(200_000) });
  socket.write(`POST /v1/institutions HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 100_000)}`);
  await sleep(100);
  socket.write(body.slice(100_000));
  socket.write('GET /health/live HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n');
  const closed = await new Promise<boolean>((resolve) => {
    socket.on('close', () => resolve(true));
    setTimeout(() => resolve(false), 5000);
  });
  socket.destroy();
  const text = Buffer.concat(received).toString('utf8');
  t.ok(closed, 'the server answered both and closed as the second asked');
  t.match(text, /^HTTP\/1\.1 401 /, 'the first answer is the 401');
  t.match(text, /\r\n\r\n[\s\S]*HTTP\/1\.1 200 /, 'the second request, after the body, is answered 200');
});

t.test('finding 5: a body far over the drain cap is cut once the answer is out', async (t) => {
  const ctx = await buildTestApp(t, { env: { BODY_LIMIT_BYTES: String(LIMIT) } });
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (ctx.app.server.address() as { port: number }).port;
  // Announces 1 GB and keeps sending, even after the server's FIN (allowHalfOpen): answered 413
  // at once, what follows read and dropped up to the cap, then the connection is cut.
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  socket.on('error', () => {});
  socket.write('POST /v1/auth/token HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n');
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  let sent = 0;
  const closed = await new Promise<boolean>((resolve) => {
    socket.on('close', () => resolve(true));
    const pump = () => {
      while (!socket.destroyed && sent < 300 * chunk.length) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    pump();
    setTimeout(() => resolve(false), 15_000);
  });
  socket.destroy();
  t.ok(closed, `the server closed the connection (after ${Math.round(sent / 1024 / 1024)} MiB sent)`);
  t.ok(sent > DRAIN_CAP_BYTES && sent < 300 * chunk.length, `past the drain cap (${DRAIN_CAP_BYTES / 1024 / 1024} MiB) and before the client had sent 300 MiB`);
  const answer = parseAnswer(Buffer.concat(received).toString('utf8'));
  t.equal(answer.status, 413, 'the 413 came first');
});

t.test('finding 6: a body that trickles is cut after BODY_TIMEOUT_MS with a 408 problem', async (t) => {
  const ctx = await buildTestApp(t, { env: { BODY_TIMEOUT_MS: '500' } });
  t.equal(ctx.config.http.bodyTimeoutMs, 500, 'BODY_TIMEOUT_MS is read into the config');
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (ctx.app.server.address() as { port: number }).port;
  const body = JSON.stringify({ grant_type: 'password', username: 'slowloris', password: 'x'.repeat(200) });

  // Ten connections at once, one byte every 100 ms each: none is still open after 3 s.
  const answers = await Promise.all(
    Array.from({ length: 10 }, () =>
      rawRequest(port, `POST /v1/auth/token HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, {
        body,
        trickle: { everyMs: 100 },
        timeoutMs: 6000,
      }),
    ),
  );
  for (const [i, res] of answers.entries()) {
    t.ok(res.closedAfterMs < 3000, `connection ${i + 1}: closed by the server after ${res.closedAfterMs} ms (BODY_TIMEOUT_MS 500)`);
    assertRawProblem(t, res, 408, 'REQUEST_TIMEOUT', `connection ${i + 1}`);
    t.equal(res.headers.connection, 'close', `connection ${i + 1}: Connection: close`);
  }

  // Headers that trickle are cut the same way.
  const slowHead = await rawRequest(port, '', { body: 'GET /health/live HTTP/1.1\r\nHost: probe\r\nX-Slow: ' + 'a'.repeat(100), trickle: { everyMs: 100 }, timeoutMs: 6000 });
  t.ok(slowHead.closedAfterMs < 3000, `slow headers: closed after ${slowHead.closedAfterMs} ms`);
  assertRawProblem(t, slowHead, 408, 'REQUEST_TIMEOUT', 'slow headers');

  // A body that arrives in time is answered as usual.
  const prompt = await fetch(`http://127.0.0.1:${port}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  t.equal(prompt.status, 401, 'a prompt request is answered (401: no such account)');
});

t.test("finding 9: what Node's parser refuses is a problem+json with a stable code, and the connection closes", async (t) => {
  const ctx = await buildTestApp(t);
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (ctx.app.server.address() as { port: number }).port;

  const huge = await rawRequest(port, `GET /health/live HTTP/1.1\r\nHost: probe\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assertRawProblem(t, huge, 431, 'HEADERS_TOO_LARGE', 'headers over 16 KiB');
  t.equal(huge.headers.connection, 'close', '431: Connection: close');

  const garbage = await rawRequest(port, 'THIS IS NOT HTTP\r\n\r\n');
  assertRawProblem(t, garbage, 400, 'BAD_REQUEST', 'a malformed request line');
  t.equal(garbage.headers.connection, 'close', 'malformed request line: Connection: close');

  const smuggle = await rawRequest(
    port,
    'POST /v1/auth/token HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n',
    { body: '0\r\n\r\n' },
  );
  assertRawProblem(t, smuggle, 400, 'BAD_REQUEST', 'Content-Length with Transfer-Encoding');
  t.equal(smuggle.headers.connection, 'close', 'CL+TE: Connection: close');
  t.match(JSON.parse(smuggle.body).detail, /Content-Length|Transfer-Encoding/, 'CL+TE: the detail says what is wrong');

  const after = await fetch(`http://127.0.0.1:${port}/health/live`);
  t.equal(after.status, 200, 'the server answers the next client as usual');
});
