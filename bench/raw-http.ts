import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** Where a chunked body that starts at `at` ends (after its last chunk and trailers), or -1 while it is incomplete. */
function endOfChunks(buf: Buffer, at: number): number {
  let pos = at;
  for (;;) {
    const lineEnd = buf.indexOf(CRLF, pos);
    if (lineEnd < 0) return -1;
    const size = Number.parseInt(buf.toString('latin1', pos, lineEnd), 16);
    if (size === 0) {
      const trailersEnd = buf.indexOf(HEADER_END, lineEnd);
      return trailersEnd < 0 ? -1 : trailersEnd + 4;
    }
    pos = lineEnd + 2 + size + 2;
    if (pos > buf.length) return -1;
  }
}

/**
 * A keep-alive HTTP/1.1 connection for the paced load generator: one request at a
 * time, written as one prepared string, the answer read just far enough to know its
 * status and where it ends (content-length, or a chunked body's last chunk). The
 * generator shares the machine's two cores with the servers it measures, so it does
 * as little as it can per request: no header objects, no streams, no agent — what
 * autocannon does for the saturated runs.
 */
export class RawHttpConnection {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (status: number) => void; reject: (err: Error) => void } | undefined;
  closed = false;
  /** The Server-Timing header of the last answer, if it had one. */
  serverTiming: string | undefined;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Writes one whole request; resolves with the status code once the whole answer has arrived. */
  send(request: string): Promise<number> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    if (this.waiting) return Promise.reject(new Error('one request at a time'));
    return new Promise<number>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private fail(err: Error): void {
    this.closed = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }

  private received(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headEnd = this.buffered.indexOf(HEADER_END);
    if (headEnd < 0) return;
    const head = this.buffered.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const bodyStart = headEnd + 4;
    let end: number;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length) {
      end = bodyStart + Number(length[1]);
      if (this.buffered.length < end) return;
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const chunkedEnd = endOfChunks(this.buffered, bodyStart);
      if (chunkedEnd < 0) return;
      end = chunkedEnd;
    } else {
      end = bodyStart; // no body (204, 304) — or one that ends with the connection, which a keep-alive server does not send
    }
    this.buffered = this.buffered.subarray(end);
    this.serverTiming = /\r\nserver-timing:[ \t]*([^\r]*)/i.exec(head)?.[1];
    const w = this.waiting;
    this.waiting = undefined;
    if (w) w.resolve(status);
  }
}

/** The whole request as one string: request line, headers (host, content-length added), body. */
export function rawRequest(method: string, path: string, host: string, headers: Record<string, string>, body?: string): string {
  let text = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
  if (body !== undefined) text += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  return `${text}\r\n${body ?? ''}`;
}
