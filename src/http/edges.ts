import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from '../errors.js';
import { problemType } from './problem.js';

/**
 * The edges of HTTP that the router never sees: JSON nested too deep to walk, an answer
 * given while the body is still arriving (413, 401), a body that trickles, and the errors
 * Node's parser raises before there is a request at all.
 */

/** The deepest nesting a JSON body may have; the deepest real body (an import row's document) is 4. */
export const MAX_JSON_DEPTH = 32;

/** What is read and dropped of a body after it was answered (413 and the like) before the connection is cut. */
export const DRAIN_CAP_BYTES = 64 * 1024 * 1024;

/**
 * True when a JSON text nests arrays and objects deeper than `max`. One linear pass,
 * no recursion, strings skipped; a text that is not JSON is left for JSON.parse to refuse.
 */
export function jsonNestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * application/json with a depth bound checked on the text before it is parsed, so that no
 * deep structure is ever built or walked (canonicalisation, text checks, validation). The
 * parse itself is Fastify's default: __proto__ and constructor.prototype are refused.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonNestedDeeperThan(text, MAX_JSON_DEPTH)) {
      done(new ValidationError([{ path: 'body', message: `nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels` }]), undefined);
      return;
    }
    parse(request, text, done);
  });
}

/** Sockets whose current request was answered while its body was still arriving. */
const answeredEarly = new WeakSet<Socket>();

/**
 * onSend: an answer that leaves before the body has arrived (413, 401, 415…) must not
 * turn into a reset. Node closes a `Connection: close` socket as soon as the answer is
 * written; with input still unread the kernel sends a RST, and a client still sending
 * often sees EPIPE instead of the answer. So the rest of the body is read and dropped
 * (a lingering close), up to DRAIN_CAP_BYTES and at most `lingerMs`, and then closed.
 */
export function lingerAfterEarlyAnswer(request: FastifyRequest, lingerMs: number): void {
  const req = request.raw;
  const socket = req.socket;
  // app.inject's requests have no real socket.
  if (req.complete || !(socket instanceof Socket) || socket.destroyed || answeredEarly.has(socket)) return;
  answeredEarly.add(socket);
  let drained = 0;
  let timer: NodeJS.Timeout | undefined;
  const finish = (destroy: boolean) => {
    req.removeListener('data', count);
    socket.removeListener('close', onClose);
    req.removeListener('end', onEnd);
    clearTimeout(timer);
    answeredEarly.delete(socket);
    // Back to Node's own close, for the next request on a kept-alive connection.
    delete (socket as { destroySoon?: unknown }).destroySoon;
    if (destroy) socket.destroy();
  };
  const count = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_CAP_BYTES) finish(true);
  };
  let lingering = false;
  const onEnd = () => finish(lingering);
  const onClose = () => finish(false);
  // Read through the request, not the socket: a 'data' listener on the socket takes it off Node's
  // native parser path, and a body paused for backpressure then never flows again.
  req.on('data', count);
  req.once('end', onEnd);
  socket.once('close', onClose);
  req.resume();
  // Node calls destroySoon once an answer that closes the connection is written: half-close
  // instead (the answer and a FIN go out) and close for good once the body is in.
  (socket as { destroySoon?: () => void }).destroySoon = () => {
    lingering = true;
    socket.end();
    timer = setTimeout(() => finish(true), lingerMs);
    timer.unref();
  };
}

/** The problem for an error Node raises before the app sees a request. */
function clientProblem(code: string | undefined, bodyTimeoutMs: number): { status: number; code: string; title: string; detail: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        code: 'REQUEST_TIMEOUT',
        title: 'Request timeout',
        detail: `The request did not arrive in full within ${bodyTimeoutMs} ms`,
      };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'HEADERS_TOO_LARGE', title: 'Request header fields too large', detail: 'The request headers are too large' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return {
        status: 400,
        code: 'BAD_REQUEST',
        title: 'Bad request',
        detail: 'The request has both Content-Length and Transfer-Encoding (or a Transfer-Encoding other than chunked); send one',
      };
    default:
      return { status: 400, code: 'BAD_REQUEST', title: 'Bad request', detail: 'The request is not valid HTTP/1.1' };
  }
}

const handled = new WeakSet<Socket>();

/**
 * Fastify's clientErrorHandler: Node's parser errors (431, a malformed request line,
 * Content-Length with Transfer-Encoding) and the request timeout answered as problem+json,
 * then the connection closed once the answer is out.
 */
export function clientErrorHandler(bodyTimeoutMs: number) {
  return function onClientError(this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed || handled.has(socket)) return;
    handled.add(socket);
    const p = clientProblem(err.code, bodyTimeoutMs);
    this.log.info({ code: p.code, status: p.status, parserError: err.code }, 'client error');
    // Nothing is written when an answer to this request has already begun or been sent.
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (!socket.writable || answeredEarly.has(socket) || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ type: problemType(p.code), title: p.title, status: p.status, detail: p.detail, code: p.code });
    socket.end(
      `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? ''}\r\n` +
        'Content-Type: application/problem+json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n' +
        body,
    );
    // Closed once the answer is handed over; a peer that reads nothing is cut anyway.
    const timer = setTimeout(() => socket.destroy(), 1000);
    timer.unref();
    socket.once('finish', () => {
      clearTimeout(timer);
      socket.destroy();
    });
  };
}

/** Options for Node's server: the body timeout is `requestTimeout`, which Node reads only at construction. */
export function serverTimeouts(bodyTimeoutMs: number): { requestTimeout: number; connectionsCheckingInterval: number } {
  // Node looks for expired requests every connectionsCheckingInterval (30 s by default): often enough to cut near the limit.
  return { requestTimeout: bodyTimeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(bodyTimeoutMs / 4))) };
}
