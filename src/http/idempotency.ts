import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { canonicalize } from '../audit/canonical.js';
import { actorOf } from '../auth/principal.js';
import type { Db, Tx } from '../db/client.js';
import { findStoredKey, type KeyRecord, lockAndFindKey, type StoredAnswer, storeKey } from '../db/idempotency-store.js';
import { BadRequestError, ConflictError, PreconditionRequiredError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** HMAC key for stored request fingerprints (derived from the server secret). */
    requestHashKey: Buffer;
  }
}

export interface Outcome<T> {
  status: number;
  body: T;
  headers?: Record<string, string>;
  /**
   * The work wrote the key's record itself (from the KeyRecord it was given, with this
   * status, body and headers), in the statement of its own change: one round trip less.
   */
  keyStored?: boolean;
}

/** What work that checks the key itself returns when the key already has an answer. */
export interface Replay {
  replay: StoredAnswer;
}

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

function keyOf(request: FastifyRequest, required: boolean): string | undefined {
  const raw = request.headers['idempotency-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || key === '') {
    if (required) throw new PreconditionRequiredError('This request needs an Idempotency-Key header');
    return undefined;
  }
  if (!KEY_RE.test(key)) {
    throw new BadRequestError('Idempotency-Key must be 1–255 visible ASCII characters', 'INVALID_IDEMPOTENCY_KEY', [
      { path: 'headers.idempotency-key', message: 'must be 1–255 visible ASCII characters' },
    ]);
  }
  return key;
}

/**
 * The record of a request's Idempotency-Key: who sent it, the key, the route and a keyed
 * hash of the body (undefined: no key, and none required).
 */
export function keyRecordOf(request: FastifyRequest, required: boolean): KeyRecord | undefined {
  const key = keyOf(request, required);
  if (key === undefined) return undefined;
  const route = `${request.method} ${request.url.split('?')[0]}`;
  // Keyed, so that a stored hash cannot be used to test guesses of what the body held (passwords).
  const requestHash = createHmac('sha256', request.server.requestHashKey)
    .update(canonicalize({ route, body: request.body ?? null }))
    .digest('hex');
  return { principal: actorOf(request.user), key, route, requestHash };
}

/** The stored answer again, or a 409 when the key was used with another request. */
function replayOf<T>(stored: StoredAnswer, record: KeyRecord) {
  if (stored.requestHash !== record.requestHash) {
    throw new ConflictError('This Idempotency-Key was already used with a different request', 'IDEMPOTENCY_KEY_REUSED');
  }
  return { status: stored.statusCode!, body: stored.response as T, headers: stored.headers as Record<string, string>, replayed: true };
}

/** Answers what is stored under the key, for work that found it outside idempotent(). */
export function answerStored<T>(reply: FastifyReply, stored: StoredAnswer, record: KeyRecord): T {
  return answer(reply, replayOf<T>(stored, record));
}

/**
 * Runs a creating request in one transaction, honouring Idempotency-Key: the same
 * key and body answer the first response again; the same key with another body is
 * a 409. Requests with the same key are serialised by an advisory lock, so a retry
 * racing the original waits for it and then replays it. A request that fails
 * stores nothing (its transaction rolls back), so it can be retried with the key.
 */
export async function idempotent<T>(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (tx: Tx, key?: KeyRecord) => Promise<Outcome<T> | Replay>,
  options: {
    required?: boolean;
    /**
     * The work takes the key's lock and reads its stored answer itself, in its first
     * statement (lockAndFindSql), and returns { replay } when there is one: one round
     * trip less than checking before the work.
     */
    checkInWork?: boolean;
    /** What to keep for replays, when the first answer holds something that must be shown once. */
    store?: (body: T) => unknown;
    /** The key's record, when the caller has already made it (keyRecordOf). */
    record?: KeyRecord;
  } = {},
): Promise<T> {
  const record = options.record ?? keyRecordOf(request, options.required ?? false);
  if (record === undefined) {
    const outcome = await db.transaction(async (tx) => {
      const result = await work(tx);
      if ('replay' in result) throw new Error('a replay without an Idempotency-Key');
      return result;
    });
    return answer(reply, { ...outcome, replayed: false });
  }
  const replay = (stored: StoredAnswer) => replayOf<T>(stored, record);
  let outcome;
  try {
    outcome = await db.transaction(async (tx) => {
      if (!options.checkInWork) {
        const existing = await lockAndFindKey(tx, record);
        if (existing) return replay(existing);
      }
      const result = await work(tx, record);
      if ('replay' in result) return replay(result.replay);
      const body = JSON.parse(JSON.stringify(result.body)) as T;
      if (!result.keyStored) {
        const stored: unknown = options.store ? JSON.parse(JSON.stringify(options.store(body))) : body;
        await storeKey(tx, record, { statusCode: result.status, response: stored, headers: result.headers ?? {} });
      }
      return { ...result, body, replayed: false };
    });
  } catch (err) {
    // A request with the same key that committed while this one waited for the key's
    // lock is not in the snapshot the check read; this attempt then failed (on the
    // key's row, or on what the first one created) and left nothing. Its answer is the
    // stored one.
    const stored = await findStoredKey(db, record.principal, record.key).catch(() => undefined);
    if (!stored) throw err;
    outcome = replay(stored);
  }
  return answer(reply, outcome);
}

function answer<T>(reply: FastifyReply, outcome: { status: number; body: T; headers?: Record<string, string> | undefined; replayed: boolean }): T {
  reply.code(outcome.status);
  if (outcome.headers) reply.headers(outcome.headers);
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return outcome.body;
}
