import type { LookupSynchronousCommit } from '../../config.js';
import type { Db } from '../../db/client.js';
import type { KeyRecord } from '../../db/idempotency-store.js';
import {
  type DocumentQuery,
  type LookupAudit,
  lookupTravellers,
  lookupTravellersBatch,
  type TravellerCard,
  type TravellerShape,
  travellerShape,
} from './queries.js';
import { type CrossingReads, findTravellersAndItems, findTravellersAndItemsBatch } from './crossing-queries.js';

interface Waiting<Q, R> {
  query: Q;
  resolve: (answer: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Reads sent together when they pile up. A read goes at once, in its own statement,
 * while fewer than `maxInFlight` reads are running — at the pace of officers at their
 * desks that is every read, and nothing waits. Beyond that, reads wait for one to come
 * back and then go together: every waiting read of one shape in one statement. Under
 * load this spends one round trip, one socket write and one statement's fixed cost in
 * Postgres on many reads instead of one each; each read still sees the primary as it is
 * when its statement runs, so a suspension shows on the very next lookup, as before.
 */
export class BatchingReader<Q, R> {
  private inFlight = 0;
  private readonly waiting = new Map<TravellerShape, Waiting<Q, R>[]>();
  /** Statements sent, and reads they carried, for the benchmark's profile and the tests. */
  readonly stats = { statements: 0, reads: 0, batched: 0 };

  constructor(
    private readonly shapeOf: (query: Q) => TravellerShape,
    private readonly one: (query: Q) => Promise<R>,
    private readonly many: (shape: TravellerShape, queries: Q[]) => Promise<R[]>,
    /** Two: one per core of the machine the benchmark runs on; four cost Postgres more CPU per read. */
    private readonly maxInFlight = 2,
    private readonly maxBatch = 100,
  ) {}

  read(query: Q): Promise<R> {
    if (this.inFlight < this.maxInFlight) return this.run(() => this.one(query), 1);
    const shape = this.shapeOf(query);
    return new Promise<R>((resolve, reject) => {
      const list = this.waiting.get(shape);
      if (list) list.push({ query, resolve, reject });
      else this.waiting.set(shape, [{ query, resolve, reject }]);
    });
  }

  private async run<T>(read: () => Promise<T>, reads: number): Promise<T> {
    this.inFlight += 1;
    this.stats.statements += 1;
    this.stats.reads += reads;
    try {
      return await read();
    } finally {
      this.inFlight -= 1;
      this.next();
    }
  }

  /** A read came back: the reads of one shape that waited for it go now, together. */
  private next(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.size > 0) {
      const [shape, list] = this.waiting.entries().next().value as [TravellerShape, Waiting<Q, R>[]];
      const batch = list.splice(0, this.maxBatch);
      if (list.length === 0) this.waiting.delete(shape);
      if (batch.length > 1) this.stats.batched += batch.length;
      void this.run(() => this.many(shape, batch.map((w) => w.query)), batch.length).then(
        (answers) => batch.forEach((w, i) => w.resolve(answers[i]!)),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      );
    }
  }
}

export interface LookupRead {
  query: DocumentQuery;
  audit: LookupAudit;
}

/**
 * The lookups' reads: the traveller cards of a document, each with its audit event
 * written to the journal in the same statement (lookupTravellers), batched under load;
 * each statement's transaction commits with `synchronousCommit` (LOOKUP_SYNCHRONOUS_COMMIT).
 */
export class TravellerReader extends BatchingReader<LookupRead, TravellerCard[]> {
  constructor(db: Db, synchronousCommit: LookupSynchronousCommit, maxInFlight?: number) {
    super(
      (r) => travellerShape(r.query)[0],
      (r) => lookupTravellers(db, r.query, r.audit, synchronousCommit),
      (shape, rs) =>
        lookupTravellersBatch(
          db,
          shape,
          rs.map((r) => travellerShape(r.query)[1]),
          rs.map((r) => r.audit),
          synchronousCommit,
        ),
      maxInFlight,
    );
  }
}

export interface CrossingRead {
  query: DocumentQuery;
  itemIds: string[];
  key: KeyRecord | undefined;
}

/**
 * The optimistic crossings' reads (findTravellersAndItems without locks: the key's stored
 * answer, the traveller, the declared items with their versions), batched under load.
 */
export class CrossingReader extends BatchingReader<CrossingRead, CrossingReads> {
  constructor(db: Db, maxInFlight?: number) {
    super(
      (r) => travellerShape(r.query)[0],
      (r) => findTravellersAndItems(db, r.query, r.itemIds, r.key, false),
      (shape, rs) => findTravellersAndItemsBatch(db, shape, rs),
      maxInFlight,
    );
  }
}
