import type pg from 'pg';
import type { Db } from '../db/client.js';
import { appendAudit, AUDIT_LOCK_KEY, AUDIT_RECORDSET, type AuditEntry, type ChainHead, linkEntries, readHead, rowsAsJson } from './chain.js';

/**
 * One statement that appends linked rows after the head this writer believes in: it
 * takes the chain's lock (so no appender elsewhere is between its lock and its commit)
 * and inserts. If the chain has moved on (another instance, a crossing), the row with
 * the first sequence number exists and the statement fails whole on the primary key:
 * nothing half-written, and the writer re-reads the head.
 */
const FAST_APPEND = `with chain_lock as materialized (select pg_advisory_xact_lock(${AUDIT_LOCK_KEY}))
insert into audit_events (seq, at, actor, role, action, subject, data, prev_hash, hash)
${AUDIT_RECORDSET.replace('$ROWS', '$1').replace('from jsonb_to_recordset', 'from chain_lock, jsonb_to_recordset')}`;

function isChainConflict(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'audit_events_pkey';
}

/**
 * Group commit for audit events that are not part of another change (lookups of a
 * person): callers wait until their event is durable, but events arriving while a
 * write is in flight share the next transaction. Under load one transaction — one
 * turn of the chain's lock — carries many events; alone, an event costs what a
 * direct append costs. Nothing is acknowledged before it is committed, so nothing
 * acknowledged can be lost, on a clean shutdown or otherwise.
 *
 * On Postgres (given the pool) the writer remembers the chain's head from its last
 * append, so a batch is one statement and one round trip (FAST_APPEND); when another
 * appender moved the head, it reads the head again and retries, and after a second
 * miss falls back to the locked read-then-insert transaction.
 */
export class AuditWriter {
  private queue: { entry: AuditEntry; at: Date; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private head: ChainHead | undefined;
  /** Appends by kind, for the benchmark's profile and the tests. */
  readonly stats = { fast: 0, reread: 0, locked: 0 };

  constructor(
    private readonly db: Db,
    private readonly pool?: pg.Pool,
    private readonly maxBatch = 500,
  ) {}

  append(entry: AuditEntry, at: Date): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entry, at, resolve, reject });
      if (!this.flushing) this.flushing = this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.write(batch.map((b) => ({ ...b.entry, at: b.at })));
          for (const b of batch) b.resolve();
        } catch (err) {
          this.head = undefined;
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(entries: AuditEntry[]): Promise<void> {
    const pool = this.pool;
    if (pool) {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        if (attempt > 0 || !this.head) {
          this.head = await readHead(this.db);
          this.stats.reread += 1;
        }
        const rows = linkEntries(this.head, entries, new Date());
        try {
          await pool.query({ name: 'hetao_audit_append', text: FAST_APPEND, values: [rowsAsJson(rows)] });
          this.stats.fast += 1;
          const last = rows[rows.length - 1];
          if (last) this.head = { seq: last.seq, hash: last.hash };
          return;
        } catch (err) {
          if (!isChainConflict(err)) throw err;
        }
      }
    }
    const rows = await appendAudit(this.db, entries);
    this.stats.locked += 1;
    const last = rows[rows.length - 1];
    this.head = last ? { seq: last.seq, hash: last.hash } : undefined;
  }

  /** Waits for every queued event (server shutdown). */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
