import { createHash } from 'node:crypto';
import type { Conn, Db } from '../db/client.js';
import { canonicalize } from './canonical.js';
import { appendOne, eventsAfter, insertEvents, insertEventsJson, insertOutbox, lockHead, readHead, setHead } from './queries.js';
import type { AuditEntry, ChainHead, StoredAuditEvent } from './types.js';

export type { AuditEntry, ChainHead, StoredAuditEvent } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

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

/** The parameters of the one-statement append (queries.ts, appendOne): the database hashes the event once it knows its number. */
export function appendOneQuery(entry: AuditEntry, at: Date): { values: unknown[]; event: Omit<StoredAuditEvent, 'seq' | 'prevHash' | 'hash'> } {
  const event = eventOf(entry, at);
  const { prefix, suffix } = canonicalAroundSeq(event);
  return {
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

/**
 * Appends an event to the chain as the caller's transaction commits (the deferred
 * trigger of audit_outbox): the event and the change commit or vanish together, and
 * the chain's lock is taken inside the commit, not held while the transaction still
 * talks to its client. Its sequence number is known only after the commit.
 */
export async function appendAuditAtCommit(tx: Conn, entry: AuditEntry, at: Date = new Date()): Promise<void> {
  await insertOutbox(tx, outboxValues(entry, at));
}

async function appendInTx(tx: Conn, entries: AuditEntry[], at: Date): Promise<StoredAuditEvent[]> {
  if (entries.length === 0) return [];
  if (entries.length === 1) {
    const one = appendOneQuery(entries[0]!, at);
    const row = await appendOne(tx, one.values);
    return [{ ...one.event, seq: Number(row!.seq), prevHash: row!.prevHash, hash: row!.hash }];
  }
  // Several events: lock the head, link them here, insert, move the head.
  const head = await lockHead(tx);
  const rows = linkEntries(head, entries, at);
  if (rows.length <= 50) {
    await insertEvents(tx, rows);
  } else {
    // Large batches (bulk imports) travel as one jsonb parameter per chunk: far cheaper
    // than thousands of bound parameters, and clear of Postgres's 65,535-parameter cap.
    for (let i = 0; i < rows.length; i += 2000) {
      await insertEventsJson(tx, rows.slice(i, i + 2000));
    }
  }
  const last = rows[rows.length - 1]!;
  await setHead(tx, last);
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
    const page = await eventsAfter(db, after, pageSize);
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
