import { createHash } from 'node:crypto';
import { asc, gt } from 'drizzle-orm';
import { boundSql, type Conn, type Db, preparedRows, queryRows } from '../db/client.js';
import { auditEvents, auditHead } from '../db/schema.js';
import { canonicalize } from './canonical.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  /** Who: a user id, `client:<clientId>`, `cli`, `system` or `anonymous`. */
  actor: string;
  role: string;
  /** What, as `noun.verb`: `user.create`, `auth.token_denied`, `checkpoint.create`… */
  action: string;
  /** The object concerned: `user:<id>`, `checkpoint:<code>`… */
  subject?: string | null;
  data?: Record<string, unknown>;
  /** When it happened, if not the time of the append (events appended in a batch). */
  at?: Date;
}

export interface StoredAuditEvent {
  seq: number;
  at: Date;
  actor: string;
  role: string;
  action: string;
  subject: string | null;
  data: unknown;
  prevHash: string;
  hash: string;
}

/** Plain JSON values only: what jsonb gives back is what was hashed. */
function toJsonValue(data: Record<string, unknown> | undefined): Record<string, unknown> {
  return data === undefined ? {} : (JSON.parse(JSON.stringify(data)) as Record<string, unknown>);
}

/** The RFC 8785 canonical JSON of an event: what its hash covers. */
function canonicalEvent(event: { seq: number; at: Date; actor: string; role: string; action: string; subject: string | null; data: unknown }): string {
  return canonicalize({
    seq: event.seq,
    at: event.at.toISOString(),
    actor: event.actor,
    role: event.role,
    action: event.action,
    subject: event.subject,
    data: event.data,
  });
}

export function hashEvent(
  prevHash: string,
  event: { seq: number; at: Date; actor: string; role: string; action: string; subject: string | null; data: unknown },
): string {
  const canonical = canonicalEvent(event);
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

export interface ChainHead {
  seq: number;
  hash: string;
}

/** What is recorded of an entry (its time, or the batch's), before it has a place in the chain. */
function eventOf(entry: AuditEntry, at: Date): Omit<StoredAuditEvent, 'seq' | 'prevHash' | 'hash'> {
  return {
    at: entry.at ?? at,
    actor: entry.actor,
    role: entry.role,
    action: entry.action,
    subject: entry.subject ?? null,
    data: toJsonValue(entry.data),
  };
}

/** Links entries to the chain after `head`: their sequence numbers and hashes. */
export function linkEntries(head: ChainHead | undefined, entries: AuditEntry[], at: Date): StoredAuditEvent[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const rows: StoredAuditEvent[] = [];
  for (const entry of entries) {
    seq += 1;
    const event = { seq, ...eventOf(entry, at) };
    const hash = hashEvent(prevHash, event);
    rows.push({ ...event, prevHash, hash });
    prevHash = hash;
  }
  return rows;
}

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

/**
 * The canonical JSON of an event (RFC 8785), cut around its sequence number, so that
 * the database can hash it once it knows the number: keys are sorted, `seq` comes
 * just before `subject`, the last key.
 */
export function canonicalAroundSeq(event: Omit<StoredAuditEvent, 'seq' | 'prevHash' | 'hash'>): { prefix: string; suffix: string } {
  const canonical = canonicalEvent({ ...event, seq: 0 });
  const cut = canonical.lastIndexOf(',"subject":');
  const head = canonical.slice(0, cut);
  if (cut < 0 || !head.endsWith(',"seq":0')) throw new Error('canonical audit event has an unexpected shape');
  return { prefix: head.slice(0, -1), suffix: canonical.slice(cut) };
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

export function appendOneQuery(entry: AuditEntry, at: Date): { text: string; values: unknown[]; event: Omit<StoredAuditEvent, 'seq' | 'prevHash' | 'hash'> } {
  const event = eventOf(entry, at);
  const { prefix, suffix } = canonicalAroundSeq(event);
  return {
    text: APPEND_ONE,
    values: [prefix, suffix, event.at.toISOString(), event.actor, event.role, event.action, event.subject, JSON.stringify(event.data)],
    event,
  };
}

/** An audit_journal row as a JSON record, for statements that insert journal rows from jsonb (sealed by the AuditSealer). */
export function journalRecord(entry: AuditEntry, at: Date) {
  const event = eventOf(entry, at);
  return {
    audit_at: event.at.toISOString(),
    actor: event.actor,
    role: event.role,
    action: event.action,
    subject: event.subject,
    data: event.data,
  };
}

/** The columns of an audit_outbox row, in this order: at, actor, role, action, subject, data, prefix, suffix. */
function outboxValues(entry: AuditEntry, at: Date): unknown[] {
  const event = eventOf(entry, at);
  const { prefix, suffix } = canonicalAroundSeq(event);
  return [event.at.toISOString(), event.actor, event.role, event.action, event.subject, JSON.stringify(event.data), prefix, suffix];
}

/** Inserts one outbox row from the values of outboxValues. */
const OUTBOX_INSERT = {
  name: 'hetao_audit_outbox',
  text: `insert into audit_outbox (at, actor, role, action, subject, data, canonical_prefix, canonical_suffix)
  values ($1::timestamptz, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
};

/**
 * Appends an event to the chain as the caller's transaction commits (the deferred
 * trigger of audit_outbox): the event and the change commit or vanish together, and
 * the chain's lock is taken inside the commit, not held while the transaction still
 * talks to its client. Its sequence number is known only after the commit.
 */
export async function appendAuditAtCommit(tx: Conn, entry: AuditEntry, at: Date = new Date()): Promise<void> {
  await preparedRows(tx, OUTBOX_INSERT, outboxValues(entry, at));
}

async function appendInTx(tx: Conn, entries: AuditEntry[], at: Date): Promise<StoredAuditEvent[]> {
  if (entries.length === 0) return [];
  if (entries.length === 1) {
    const one = appendOneQuery(entries[0]!, at);
    const [row] = await preparedRows<{ seq: number | string; prevHash: string; hash: string }>(
      tx,
      { name: 'hetao_audit_one', text: one.text },
      one.values,
    );
    return [{ ...one.event, seq: Number(row!.seq), prevHash: row!.prevHash, hash: row!.hash }];
  }
  // Several events: lock the head, link them here, insert, move the head.
  const [head] = await tx.select({ seq: auditHead.seq, hash: auditHead.hash }).from(auditHead).for('update').limit(1);
  const rows = linkEntries(head, entries, at);
  if (rows.length <= 50) {
    await tx.insert(auditEvents).values(rows);
  } else {
    // Large batches (bulk imports) travel as one jsonb parameter per chunk: far cheaper
    // than thousands of bound parameters, and clear of Postgres's 65,535-parameter cap.
    for (let i = 0; i < rows.length; i += 2000) {
      await queryRows(tx, boundSql(INSERT_ROWS, [rowsAsJson(rows.slice(i, i + 2000))]));
    }
  }
  const last = rows[rows.length - 1]!;
  await tx.update(auditHead).set({ seq: last.seq, prevHash: last.prevHash, hash: last.hash });
  return rows;
}

/**
 * Appends events to the chain in the caller's transaction, so the event and the
 * change it records commit or vanish together. Given the database instead of a
 * transaction, it opens one of its own (one event needs none: it is one statement).
 */
export async function appendAudit(
  conn: Conn,
  entry: AuditEntry | AuditEntry[],
  at: Date = new Date(),
): Promise<StoredAuditEvent[]> {
  const entries = Array.isArray(entry) ? entry : [entry];
  if ('rollback' in conn || entries.length === 1) return appendInTx(conn, entries, at);
  return (conn as Db).transaction((tx) => appendInTx(tx, entries, at));
}

export interface VerifyResult {
  ok: boolean;
  count: number;
  headHash: string;
  firstBadSeq: number | null;
  /** Why the first bad event is bad. */
  problem?: string;
}

/** Recomputes the whole chain, page by page, and names the first bad sequence number. */
export async function verifyChain(db: Conn, pageSize = 2000): Promise<VerifyResult> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  let after = 0;
  for (;;) {
    const page = await db
      .select()
      .from(auditEvents)
      .where(gt(auditEvents.seq, after))
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize);
    for (const row of page) {
      const bad = (problem: string): VerifyResult => ({
        ok: false,
        count,
        headHash: prevHash,
        firstBadSeq: row.seq === expectedSeq ? row.seq : expectedSeq,
        problem,
      });
      if (row.seq !== expectedSeq) return bad(`sequence ${expectedSeq} is missing`);
      if (row.prevHash !== prevHash) return bad(`prevHash does not match the hash of sequence ${row.seq - 1}`);
      const recomputed = hashEvent(prevHash, row);
      if (recomputed !== row.hash) return bad('hash does not match the recorded event');
      prevHash = row.hash;
      expectedSeq += 1;
      count += 1;
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1]!.seq;
  }
  // The chain must end where the head row says: removing the newest events shows here.
  const head = await readHead(db);
  if (head && (head.seq !== count || head.hash !== prevHash)) {
    return {
      ok: false,
      count,
      headHash: prevHash,
      firstBadSeq: count + 1,
      problem:
        head.seq > count
          ? `the chain ends at sequence ${count} but its head is at ${head.seq}: events after ${count} are missing`
          : `the head (sequence ${head.seq}) does not match the last event of the chain`,
    };
  }
  return { ok: true, count, headHash: prevHash, firstBadSeq: null };
}
