import type { Db } from '../../db/client.js';
import { writeCrossings } from './crossing-queries.js';
import type { PlannedCrossing } from './plan.js';

interface Waiting {
  planned: PlannedCrossing;
  resolve: (written: boolean) => void;
}

/**
 * Group commit for crossings decided without locks (tryRecordCrossing): the crossings
 * waiting when a write starts go in one statement (WRITE_CROSSINGS) and one commit, so
 * the desks of every checkpoint share the statement and the WAL flush instead of
 * queueing for them one by one (the audit events go to the journal, so no crossing waits
 * for the chain's lock). Alone, a crossing is
 * one statement, as in its own transaction.
 *
 * A crossing is written only if what it was decided on still holds; a batch never holds
 * two crossings of the same item or the same Idempotency-Key (the later one waits for
 * the next batch, and is then checked against what the first one changed). `write`
 * answers true once the crossing is committed, false when it was left out or its batch
 * failed: nothing of it was written, and the caller decides it again under locks.
 */
export class CrossingWriter {
  private queue: Waiting[] = [];
  private flushing: Promise<void> | undefined;
  /** Statements, crossings written and left out, failed batches: for the benchmark's profile and the tests. */
  readonly stats = { batches: 0, written: 0, stale: 0, failed: 0, largest: 0 };

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 200,
  ) {}

  write(planned: PlannedCrossing): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.queue.push({ planned, resolve });
      if (!this.flushing) this.flushing = this.drain();
    });
  }

  /** The next batch: in arrival order, skipping a crossing that shares an item or a key with one already taken. */
  private take(): Waiting[] {
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const items = new Set<string>();
    const keys = new Set<string>();
    for (const w of this.queue) {
      const clash = batch.length >= this.maxBatch || w.planned.itemIds.some((id) => items.has(id)) || (w.planned.keyId !== null && keys.has(w.planned.keyId));
      if (clash) {
        rest.push(w);
        continue;
      }
      batch.push(w);
      for (const id of w.planned.itemIds) items.add(id);
      if (w.planned.keyId !== null) keys.add(w.planned.keyId);
    }
    this.queue = rest;
    return batch;
  }

  private async drain(): Promise<void> {
    try {
      // Crossings decided in the same turn of the event loop go in one batch.
      await null;
      while (this.queue.length > 0) {
        const batch = this.take();
        let written: Set<number>;
        try {
          written = await writeCrossings(
            this.db,
            batch.map((w) => w.planned),
          );
        } catch {
          // Nothing of the batch was written (one statement); each is declared again on its own,
          // where an error that belongs to one crossing is that crossing's answer.
          this.stats.failed += 1;
          for (const w of batch) w.resolve(false);
          continue;
        }
        this.stats.batches += 1;
        this.stats.written += written.size;
        this.stats.stale += batch.length - written.size;
        this.stats.largest = Math.max(this.stats.largest, batch.length);
        batch.forEach((w, i) => w.resolve(written.has(i)));
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Waits for every queued crossing (server shutdown). */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
