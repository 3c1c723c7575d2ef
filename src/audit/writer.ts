import type { Db } from '../db/client.js';
import { appendAudit, type AuditEntry } from './chain.js';

/**
 * Group commit for audit events that are not part of another change (lookups of a
 * person): callers wait until their event is durable, but events arriving while a
 * write is in flight share the next transaction. Under load one transaction — one
 * turn of the chain's lock — carries many events; alone, an event costs what a
 * direct append costs. Nothing is acknowledged before it is committed, so nothing
 * acknowledged can be lost, on a clean shutdown or otherwise.
 */
export class AuditWriter {
  private queue: { entry: AuditEntry; at: Date; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;

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
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await appendAudit(
            this.db,
            batch.map((b) => ({ ...b.entry, at: b.at })),
          );
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Waits for every queued event (server shutdown). */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
