import type { Db, Tx } from '../db/client.js';
import { type AuditEntry, type ChainHead, linkEntries } from './chain.js';
import { type JournalRow, readHead, sealRows, takeJournalRows } from './queries.js';

/**
 * Moves the audit events of lookups and crossings from the journal into the chain.
 *
 * A lookup writes its event to `audit_journal` in its own statement, with its read, and a
 * crossing in the statement that writes it; each answers once that has committed (a
 * crossing's flushed to disk; a lookup's by default without waiting for the flush, which
 * the WAL writer does within wal_writer_delay: LOOKUP_SYNCHRONOUS_COMMIT), and neither
 * waits for the chain's lock or for another's commit (the hot paths of the border desks). The sealer then links
 * the journal's rows, in the order they were written, to the chain (`audit_events`,
 * hashed as every event is) and deletes them, in one transaction: a row is in the
 * journal or in the chain, never both, never neither. It seals a little after a lookup
 * or a crossing (`delayMs`, so that one transaction carries many events), at start (what
 * an instance that stopped abruptly left), before every read of the audit log
 * (`sealAll`, so an auditor sees every lookup and crossing answered before the read),
 * and at shutdown.
 *
 * Any instance seals any row: rows are taken FOR UPDATE (SKIP LOCKED in the background,
 * waiting in sealAll), so two sealers never take the same row. The sealing transaction
 * commits without waiting for its WAL flush (synchronous_commit off): the journal rows it
 * deletes committed before it, earlier in the WAL, so if the server crashed before the
 * flush the whole transaction would be gone and its rows would still be in the journal,
 * to be sealed again (a lookup's row, which commits without waiting for the flush by
 * default — LOOKUP_SYNCHRONOUS_COMMIT — may be gone with it: both or neither) — and a
 * later commit that is flushed flushes this one too (the WAL is written in order), so
 * the chain never has a hole.
 */
export class AuditSealer {
  private head: ChainHead | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Background seals run one at a time in this process. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Transactions and events sealed, heads missed, failures: for the tests. */
  readonly stats = { seals: 0, events: 0, relinked: 0, failed: 0 };

  constructor(
    private readonly db: Db,
    private readonly delayMs = 50,
    private readonly maxBatch = 1000,
  ) {}

  /** A lookup or a crossing wrote to the journal: seal within `delayMs`. */
  kick(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.exclusive(() => this.sealPending(false)).catch(() => {
        // The database is away: the rows wait in the journal; try again later.
        this.stats.failed += 1;
        if (this.closed || this.timer) return;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.kick();
        }, 1000);
        this.timer.unref();
      });
    }, this.delayMs);
    this.timer.unref();
  }

  /**
   * Seals every event committed to the journal before the call. It does not queue behind
   * a background seal: it waits only for the journal rows that one holds (they are in
   * the chain once it commits), so an audit read that meets a database outage fails
   * within one timeout, not after the background seal's and then its own.
   */
  sealAll(): Promise<void> {
    return this.sealPending(true);
  }

  /** Stops sealing in the background and seals what is left (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.queue;
    await this.sealAll();
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  private async sealPending(wait: boolean): Promise<void> {
    while ((await this.sealBatch(wait)) === this.maxBatch) {
      // a full batch: there may be more
    }
  }

  /** One transaction: up to maxBatch journal rows into the chain. Answers how many. */
  private async sealBatch(wait: boolean): Promise<number> {
    try {
      return await this.db.transaction(async (tx) => {
        const rows = await takeJournalRows(tx, this.maxBatch, wait);
        if (rows.length === 0) return 0;
        await this.append(tx, rows);
        this.stats.seals += 1;
        this.stats.events += rows.length;
        return rows.length;
      });
    } catch (err) {
      this.head = undefined;
      throw err;
    }
  }

  private async append(tx: Tx, rows: JournalRow[]): Promise<void> {
    const entries: AuditEntry[] = rows.map((r) => ({
      at: r.at instanceof Date ? r.at : new Date(r.at),
      actor: r.actor,
      role: r.role,
      action: r.action,
      subject: r.subject,
      data: typeof r.data === 'string' ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
    }));
    const ids = rows.map((r) => String(r.id));
    this.head ??= await readHead(tx);
    // Twice at most: after a miss, this transaction holds the head's lock and knows where it is.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const linked = linkEntries(this.head, entries, new Date());
      const last = linked[linked.length - 1]!;
      const answer = await sealRows(tx, this.head, linked, ids);
      if (answer && answer.inserted === linked.length) {
        this.head = { seq: last.seq, hash: last.hash };
        return;
      }
      // Another appender moved the head (a crossing's event, another instance's seal).
      this.stats.relinked += 1;
      this.head = answer ? { seq: Number(answer.seq), hash: answer.hash } : undefined;
    }
    throw new Error('audit sealer: the chain head moved while this transaction held its lock');
  }
}
