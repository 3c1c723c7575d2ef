import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Tx } from '../db/client.js';
import { idempotent, type Outcome } from './idempotency.js';

/**
 * Runs a service's write once: in one transaction on `db`, honouring the request's
 * Idempotency-Key. Routes hand it to their service, so the service keeps the work
 * and the transaction while the key and the answer stay HTTP's.
 */
export type Once = <T>(db: Db, work: (tx: Tx) => Promise<Outcome<T>>, options?: { store?: (body: T) => unknown }) => Promise<T>;

export function onceFor(request: FastifyRequest, reply: FastifyReply): Once {
  return (db, work, options) => idempotent(db, request, reply, work, options);
}

/** The If-Match check a service runs once it has read the record's current version. */
export type Precondition = (currentVersion: number) => void;
