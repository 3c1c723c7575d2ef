// The idempotency store: the stored answers of keyed requests (the HTTP half is src/http/idempotency.ts).
import { type Conn, preparedRows, type Tx } from './client.js';
import { idempotencyKeys } from './schema.js';

/** What identifies a keyed request's record: for work that stores it itself. */
export interface KeyRecord {
  principal: string;
  key: string;
  route: string;
  requestHash: string;
}

export interface StoredAnswer {
  statusCode: number | null;
  requestHash: string | null;
  response: unknown;
  headers: unknown;
}

/**
 * Takes the key's lock and reads what is stored under it, in one statement. The read
 * uses the statement's snapshot, taken before the lock was granted: a request with the
 * same key that committed in between is not seen here; this attempt then fails (at the
 * latest on the key's primary key) and answers what the first one stored.
 */
export function lockAndFindSql(first: number): string {
  return `select k.status_code as "statusCode", k.request_hash as "requestHash", k.response, k.headers
  from (select pg_advisory_xact_lock(hashtextextended($${first}, 0))) l
  left join lateral (select * from idempotency_keys where principal = $${first + 1} and key = $${first + 2}) k on true`;
}

/** The parameters of lockAndFindSql, in order. */
export function lockAndFindValues(key: KeyRecord): string[] {
  return [`${key.principal} ${key.key}`, key.principal, key.key];
}

const LOCK_AND_FIND = { name: 'hetao_idempotency_find', text: lockAndFindSql(1) };

/** Takes the key's lock and reads its stored answer, for work that checks the key itself (checkInWork). */
export async function lockAndFindKey(tx: Conn, key: KeyRecord): Promise<StoredAnswer | undefined> {
  const [row] = await preparedRows<StoredAnswer>(tx, LOCK_AND_FIND, lockAndFindValues(key));
  return row?.statusCode != null ? row : undefined;
}

/** Reads the key's stored answer without its lock; `$N` numbered from `first` (principal, key). */
export function findKeySql(first: number): string {
  return findKeySqlOver(`$${first}`, `$${first + 1}`);
}

/** The same read over any two SQL expressions (the principal, the key): a batch's columns. */
export function findKeySqlOver(principal: string, key: string): string {
  return `select status_code as "statusCode", request_hash as "requestHash", response, headers
  from idempotency_keys where principal = ${principal} and key = ${key}`;
}

const FIND = { name: 'hetao_idempotency_stored', text: findKeySql(1) };

/** The key's stored answer, read without its lock (after a failed attempt). */
export async function findStoredKey(conn: Conn, principal: string, key: string): Promise<StoredAnswer | undefined> {
  const [row] = await preparedRows<StoredAnswer>(conn, FIND, [principal, key]);
  return row;
}

/** Stores the answer under the key, in the transaction of the change it answers. */
export async function storeKey(
  tx: Tx,
  record: KeyRecord,
  answer: { statusCode: number; response: unknown; headers: Record<string, string> },
): Promise<void> {
  const { principal, key, route, requestHash } = record;
  await tx.insert(idempotencyKeys).values({ principal, key, route, requestHash, ...answer });
}
