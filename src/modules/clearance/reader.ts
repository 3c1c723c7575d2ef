import type { Db } from '../../db/client.js';
import { type DocumentQuery, findTravellers, findTravellersBatch, type TravellerCard, type TravellerShape, travellerShape } from './queries.js';

interface Waiting {
  values: string[];
  resolve: (cards: TravellerCard[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The lookups' reads, sent together when they pile up. A lookup is read at once, in
 * its own statement, while fewer than `maxInFlight` reads are running (two: one per core of the machine measured) — at the pace of
 * officers at their desks that is every lookup, and nothing waits. Beyond that, lookups
 * wait for a read to come back and then go together: every waiting lookup of one shape
 * in one statement (findTravellersBatch). Under load this spends one round trip, one
 * socket write and one statement's fixed cost in Postgres on many lookups instead of
 * one each; each lookup still reads the primary as it is when its statement runs, so a
 * suspension shows on the very next lookup, as before.
 */
export class TravellerReader {
  private inFlight = 0;
  private readonly waiting = new Map<TravellerShape, Waiting[]>();
  /** Statements sent, and lookups they carried, for the benchmark's profile and the tests. */
  readonly stats = { statements: 0, lookups: 0, batched: 0 };

  constructor(
    private readonly db: Db,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 100,
  ) {}

  find(q: DocumentQuery): Promise<TravellerCard[]> {
    if (this.inFlight < this.maxInFlight) return this.run(() => findTravellers(this.db, q), 1);
    const [shape, values] = travellerShape(q);
    return new Promise<TravellerCard[]>((resolve, reject) => {
      const list = this.waiting.get(shape);
      if (list) list.push({ values, resolve, reject });
      else this.waiting.set(shape, [{ values, resolve, reject }]);
    });
  }

  private async run<T>(read: () => Promise<T>, lookups: number): Promise<T> {
    this.inFlight += 1;
    this.stats.statements += 1;
    this.stats.lookups += lookups;
    try {
      return await read();
    } finally {
      this.inFlight -= 1;
      this.next();
    }
  }

  /** A read came back: the lookups of one shape that waited for it go now, together. */
  private next(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.size > 0) {
      const [shape, list] = this.waiting.entries().next().value as [TravellerShape, Waiting[]];
      const batch = list.splice(0, this.maxBatch);
      if (list.length === 0) this.waiting.delete(shape);
      if (batch.length > 1) this.stats.batched += batch.length;
      void this.run(() => findTravellersBatch(this.db, shape, batch.map((w) => w.values)), batch.length).then(
        (answers) => batch.forEach((w, i) => w.resolve(answers[i]!)),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      );
    }
  }
}
