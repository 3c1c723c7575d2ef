import { type Db, preparedRows } from '../db/client.js';
import { appendAudit, auditRowsFromJson, type AuditEntry, type ChainHead, linkEntries, readHead, rowsAsJson } from './chain.js';

/**
 * A batch in one statement, linked in Node after the head this writer believes in:
 * the head row is locked (the chain's lock; FOR UPDATE returns the latest committed
 * head), the rows go in only if the head is the one they were linked to, and the head
 * moves on with them. Otherwise nothing is written and the statement answers the
 * actual head, to link again.
 */
const BATCH_APPEND = {
  name: 'hetao_audit_batch',
  text: `with h as (select seq, hash from audit_head for update),
ins as (
  insert into audit_events (seq, at, actor, role, action, subject, data, prev_hash, hash)
  ${auditRowsFromJson('$1', 'h, ')}
   where h.seq = $2 and h.hash = $3
  returning 1),
up as (update audit_head set seq = $4, prev_hash = $5, hash = $6 where (select count(*) from ins) > 0)
select h.seq, h.hash, (select count(*) from ins)::int as inserted from h`,
};

/**
 * Group commit for audit events that are not part of another change (lookups of a
 * person): callers wait until their event is durable, but events arriving while a
 * write is in flight share the next transaction. Under load one transaction — one
 * turn of the chain's lock — carries many events; alone, an event costs what a
 * direct append costs. Nothing is acknowledged before it is committed, so nothing
 * acknowledged can be lost, on a clean shutdown or otherwise.
 *
 * A batch is one statement and one round trip: a single event is appended as every
 * lone event is (hashed by the database as it moves the head); several are
 * linked here after the head remembered from the last batch (BATCH_APPEND), linked
 * again if another appender moved it, and after repeated misses written by the
 * locking transaction.
 */
export class AuditWriter {
  private queue: { entry: AuditEntry; at: Date; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private head: ChainHead | undefined;
  /** Appends by kind, for the benchmark's profile and the tests. */
  readonly stats = { one: 0, batch: 0, relinked: 0, locked: 0 };

  constructor(
    private readonly db: Db,
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
      // Events appended in the same turn of the event loop go in one batch.
      await null;
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
    if (entries.length > 1) {
      this.head ??= await readHead(this.db);
      for (let attempt = 0; attempt < 3 && this.head; attempt += 1) {
        const rows = linkEntries(this.head, entries, new Date());
        const last = rows[rows.length - 1]!;
        const [answer] = await preparedRows<{ seq: string | number; hash: string; inserted: number }>(this.db, BATCH_APPEND, [
          rowsAsJson(rows),
          this.head.seq,
          this.head.hash,
          last.seq,
          last.prevHash,
          last.hash,
        ]);
        if (answer && answer.inserted === rows.length) {
          this.stats.batch += 1;
          this.head = { seq: last.seq, hash: last.hash };
          return;
        }
        // Another appender moved the head: link to where it is now.
        this.stats.relinked += 1;
        this.head = answer ? { seq: Number(answer.seq), hash: answer.hash } : undefined;
      }
    }
    // A lone event (one statement), or a batch that missed the head again and again (the locking transaction).
    const rows = await appendAudit(this.db, entries);
    if (entries.length === 1) this.stats.one += 1;
    else this.stats.locked += 1;
    const last = rows[rows.length - 1];
    this.head = last ? { seq: last.seq, hash: last.hash } : undefined;
  }

  /** Waits for every queued event (server shutdown). */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
