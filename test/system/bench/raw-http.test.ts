// The paced generator's HTTP client (bench/raw-http.ts) against a real node:http server:
// it must find where each answer ends — content-length, chunked, no body, an answer that
// arrives in pieces — or every latency after the first wrong one would be wrong.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { RawHttpConnection, rawRequest } from '../../../bench/raw-http.js';

t.test('answers of every framing, one after another on one keep-alive connection', async (t) => {
  const seen: { method: string; url: string; body: string; auth: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, auth: req.headers.authorization });
      if (req.url === '/length') res.writeHead(200, { 'content-length': '5', 'Server-Timing': 'app;dur=1.50, read;dur=0.25' }).end('hello');
      else if (req.url === '/chunked') {
        // Written in pieces, with a chunk that holds "0\r\n\r\n" as data: only the chunk sizes say where it ends.
        res.writeHead(201, { 'transfer-encoding': 'chunked' });
        res.write('0\r\n\r\n');
        setTimeout(() => {
          res.write('x'.repeat(70_000));
          setTimeout(() => res.end(), 10);
        }, 10);
      } else if (req.url === '/empty') res.writeHead(204).end();
      else if (req.url === '/slow') {
        res.writeHead(404, { 'content-length': '20' });
        res.write('0123456789');
        setTimeout(() => res.end('abcdefghij'), 20);
      } else res.writeHead(500, { 'content-length': '0' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;
  const conn = new RawHttpConnection('127.0.0.1', port);
  t.teardown(() => conn.destroy());

  const host = `127.0.0.1:${port}`;
  t.equal(await conn.send(rawRequest('POST', '/length', host, { authorization: 'Bearer x' }, '{"a":"é"}')), 200);
  t.equal(conn.serverTiming, 'app;dur=1.50, read;dur=0.25', 'the Server-Timing header of the answer, whatever its case');
  t.equal(await conn.send(rawRequest('GET', '/chunked', host, {})), 201);
  t.equal(conn.serverTiming, undefined, 'an answer without one leaves none behind');
  t.equal(await conn.send(rawRequest('GET', '/empty', host, {})), 204);
  t.equal(await conn.send(rawRequest('GET', '/slow', host, {})), 404);
  t.equal(await conn.send(rawRequest('GET', '/other', host, {})), 500);
  t.same(
    seen.map((s) => [s.method, s.url]),
    [['POST', '/length'], ['GET', '/chunked'], ['GET', '/empty'], ['GET', '/slow'], ['GET', '/other']],
    'five requests, in order, on one connection',
  );
  t.same(seen[0], { method: 'POST', url: '/length', body: '{"a":"é"}', auth: 'Bearer x' }, 'the body and headers arrive whole (content-length in bytes)');
  await t.rejects(Promise.all([conn.send(rawRequest('GET', '/slow', host, {})), conn.send(rawRequest('GET', '/slow', host, {}))]), /one request at a time/);
});

t.test('a connection the server closes rejects what waits on it, and refuses more', async (t) => {
  const server = http.createServer((req) => req.socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;
  const conn = new RawHttpConnection('127.0.0.1', port);
  await t.rejects(conn.send(rawRequest('GET', '/', 'h', {})), /closed|ECONNRESET/);
  t.ok(conn.closed);
  await t.rejects(conn.send(rawRequest('GET', '/', 'h', {})), /connection closed/);
});
