import { asc, gt, sql } from 'drizzle-orm';
import { boundSql, type Conn, preparedRows, queryRows, type Tx } from '../db/client.js';
import { auditEvents, auditHead } from '../db/schema.js';
import type { ChainHead, StoredAuditEvent } from './types.js';

// The audit chain's statements. Texts and prepared statement names are fixed: the hot
// paths and the benchmark depend on them.

/** Rows as one jsonb parameter, for `insert … select … from jsonb_to_recordset($n::jsonb)`. */
export function rowsAsJson(rows: StoredAuditEvent[]): string {
  return JSON.stringify(rows.map((r) => ({ ...r, at: r.at.toISOString() })));
}

/**
 * `select` of the audit rows that `rowsAsJson` sent as the parameter `rowsParam`
 * (`alsoFrom`: more of the FROM list, before the record set).
 */
export function auditRowsFromJson(rowsParam: string, alsoFrom = ''): string {
  return `select x.seq, x.at, x.actor, x.role, x.action, x.subject, x.data, x."prevHash", x.hash
          from ${alsoFrom}jsonb_to_recordset(${rowsParam}::jsonb)
            as x(seq bigint, at timestamptz, actor text, role text, action text, subject text, data jsonb, "prevHash" text, hash text)`;
}

const INSERT_ROWS = `insert into audit_events (seq, at, actor, role, action, subject, data, prev_hash, hash)\n${auditRowsFromJson('$1')}`;

/** The head as it stands (no lock): where the next event links. */
export async function readHead(conn: Conn): Promise<ChainHead | undefined> {
  const [head] = await conn.select({ seq: auditHead.seq, hash: auditHead.hash }).from(auditHead).limit(1);
  return head;
}

/** The head, locked to the end of the transaction: the chain's lock. */
export async function lockHead(tx: Conn): Promise<ChainHead | undefined> {
  const [head] = await tx.select({ seq: auditHead.seq, hash: auditHead.hash }).from(auditHead).for('update').limit(1);
  return head;
}

/** Moves the head to the last event inserted (its lock is held). */
export async function setHead(tx: Conn, last: StoredAuditEvent): Promise<void> {
  await tx.update(auditHead).set({ seq: last.seq, prevHash: last.prevHash, hash: last.hash });
}

/** A few linked events, with bound parameters. */
export async function insertEvents(tx: Conn, rows: StoredAuditEvent[]): Promise<void> {
  await tx.insert(auditEvents).values(rows);
}

/** Linked events as one jsonb parameter (rowsAsJson): bulk imports, clear of the parameter cap. */
export async function insertEventsJson(tx: Conn, rows: StoredAuditEvent[]): Promise<void> {
  await queryRows(tx, boundSql(INSERT_ROWS, [rowsAsJson(rows)]));
}

/**
 * One event in one statement: the head row moves on (its row lock is the chain's lock,
 * and an UPDATE always works on the latest committed head), the database hashes the
 * event as hashEvent does — SHA-256 of the previous hash and the canonical JSON, in
 * UTF-8 — and the event is inserted with that hash.
 */
const APPEND_ONE = `with h as (
  update audit_head
     set seq = seq + 1, prev_hash = hash,
         hash = encode(sha256(convert_to(hash || $1 || (seq + 1)::text || $2, 'UTF8')), 'hex')
   returning seq, prev_hash, hash)
insert into audit_events (seq, at, actor, role, action, subject, data, prev_hash, hash)
select h.seq, $3::timestamptz, $4, $5, $6, $7, $8::jsonb, h.prev_hash, h.hash from h
returning seq, prev_hash as "prevHash", hash`;

/** Values: canonical prefix, suffix, at, actor, role, action, subject, data (JSON). */
export async function appendOne(tx: Conn, values: unknown[]): Promise<{ seq: number | string; prevHash: string; hash: string } | undefined> {
  const [row] = await preparedRows<{ seq: number | string; prevHash: string; hash: string }>(tx, { name: 'hetao_audit_one', text: APPEND_ONE }, values);
  return row;
}

/** Inserts one outbox row from the values of outboxValues. */
const OUTBOX_INSERT = {
  name: 'hetao_audit_outbox',
  text: `insert into audit_outbox (at, actor, role, action, subject, data, canonical_prefix, canonical_suffix)
  values ($1::timestamptz, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
};

/** Values: at, actor, role, action, subject, data (JSON), canonical prefix, suffix. */
export async function insertOutbox(tx: Conn, values: unknown[]): Promise<void> {
  await preparedRows(tx, OUTBOX_INSERT, values);
}

/** One page of the chain in sequence order, after `after`. */
export async function eventsAfter(conn: Conn, after: number, limit: number) {
  return conn.select().from(auditEvents).where(gt(auditEvents.seq, after)).orderBy(asc(auditEvents.seq)).limit(limit);
}

export interface JournalRow {
  id: number | string;
  at: Date | string;
  actor: string;
  role: string;
  action: string;
  subject: string | null;
  data: Record<string, unknown> | string;
}

/**
 * Up to `limit` journal rows in the order written, locked (skipped when another sealer holds
 * them, unless `wait`); this transaction then commits without waiting for its WAL flush.
 */
export async function takeJournalRows(tx: Tx, limit: number, wait: boolean): Promise<JournalRow[]> {
  return queryRows<JournalRow>(
    tx,
    sql`select id, at, actor, role, action, subject, data, set_config('synchronous_commit', 'off', true) as async
                from audit_journal order by id limit ${limit} for update ${wait ? sql`` : sql`skip locked`}`,
  );
}

/**
 * One statement: the journal rows go into the chain linked after the head this sealer
 * believes in, and out of the journal — only if the head is the one they were linked to
 * (the head row is locked: FOR UPDATE returns the latest committed head, and the lock is
 * held to the end of the transaction). Otherwise nothing is written and the statement
 * answers the actual head, which this transaction now holds, to link again.
 */
const SEAL = {
  name: 'hetao_audit_seal',
  text: `with h as (select seq, hash from audit_head for update),
ins as (
  insert into audit_events (seq, at, actor, role, action, subject, data, prev_hash, hash)
  ${auditRowsFromJson('$1', 'h, ')}
   where h.seq = $2 and h.hash = $3
  returning 1),
up as (update audit_head set seq = $4, prev_hash = $5, hash = $6 where (select count(*) from ins) > 0),
del as (delete from audit_journal where id = any($7::bigint[]) and (select count(*) from ins) > 0)
select h.seq, h.hash, (select count(*) from ins)::int as inserted from h`,
};

/** Seals `linked` after `head` and deletes the journal rows `ids`; answers the head it found and how many it inserted. */
export async function sealRows(
  tx: Tx,
  head: ChainHead | undefined,
  linked: StoredAuditEvent[],
  ids: string[],
): Promise<{ seq: string | number; hash: string; inserted: number } | undefined> {
  const last = linked[linked.length - 1]!;
  const [answer] = await preparedRows<{ seq: string | number; hash: string; inserted: number }>(tx, SEAL, [
    rowsAsJson(linked),
    head?.seq ?? 0,
    head?.hash ?? '',
    last.seq,
    last.prevHash,
    last.hash,
    ids,
  ]);
  return answer;
}
