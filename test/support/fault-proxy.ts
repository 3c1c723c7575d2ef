import net from 'node:net';

/**
 * A TCP proxy between the service and Postgres that a test can cut and restore,
 * to stage a database outage without touching the machine's shared server.
 *
 *  - `open`:      bytes flow both ways.
 *  - `refuse`:    every connection is destroyed and the port stops listening
 *                 (new connections: ECONNREFUSED) — Postgres is down.
 *  - `blackhole`: every connection is destroyed; new ones are accepted and then
 *                 never answered — a host that accepts SYNs but whose server hangs.
 *  - `stall`:     existing connections stay open but nothing crosses any more, and
 *                 new ones are accepted and never answered — a network partition
 *                 (no RST ever arrives).
 */
export type ProxyMode = 'open' | 'refuse' | 'blackhole' | 'stall';

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes held back while stalled, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

export class TcpProxy {
  mode: ProxyMode = 'open';
  port = 0;
  /** Connections accepted since start. */
  accepted = 0;
  private server: net.Server | undefined;
  private readonly pairs = new Set<Pair>();
  private readonly held = new Set<net.Socket>();

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static forUrl(url: string): TcpProxy {
    const u = new URL(url);
    return new TcpProxy(u.hostname, Number(u.port || 5432));
  }

  /** The same connection string, through the proxy. */
  url(of: string): string {
    const u = new URL(of);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  async start(): Promise<this> {
    await this.listen(this.port);
    return this;
  }

  private listen(port: number): Promise<void> {
    const server = net.createServer((socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const addr = server.address();
        this.port = typeof addr === 'object' && addr ? addr.port : port;
        resolve();
      });
    });
  }

  private onConnection(client: net.Socket): void {
    this.accepted += 1;
    client.on('error', () => {});
    if (this.mode !== 'open') {
      // Accepted, never answered.
      this.held.add(client);
      client.on('close', () => this.held.delete(client));
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    upstream.on('error', () => {});
    const pair: Pair = { client, upstream, toUpstream: [], toClient: [] };
    this.pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      if (this.mode === 'stall') pair.toUpstream.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.mode === 'stall') pair.toClient.push(chunk);
      else client.write(chunk);
    });
    const end = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  }

  /** Open connections through the proxy (to Postgres). */
  get connections(): number {
    return this.pairs.size;
  }

  async cut(mode: Exclude<ProxyMode, 'open'>): Promise<void> {
    this.mode = mode;
    if (mode === 'stall') return;
    for (const p of [...this.pairs]) {
      this.pairs.delete(p);
      p.client.destroy();
      p.upstream.destroy();
    }
    if (mode === 'refuse' && this.server) {
      const server = this.server;
      this.server = undefined;
      for (const s of this.held) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  async restore(): Promise<void> {
    const wasStalled = this.mode === 'stall';
    this.mode = 'open';
    for (const s of this.held) s.destroy();
    this.held.clear();
    if (wasStalled) {
      for (const p of this.pairs) {
        for (const c of p.toUpstream.splice(0)) p.upstream.write(c);
        for (const c of p.toClient.splice(0)) p.client.write(c);
      }
    }
    if (!this.server) await this.listen(this.port);
  }

  async close(): Promise<void> {
    this.mode = 'open';
    for (const s of this.held) s.destroy();
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
