// The audit chain, its head, outbox and journal; and the stored answers of keyed requests.
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { createdAt } from './columns.js';

/** What an audit event records, in the chain and on its way into it (the outbox). */
function auditEventColumns() {
  return {
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    actor: text('actor').notNull(),
    role: text('role').notNull(),
    action: text('action').notNull(),
    subject: text('subject'),
    data: jsonb('data').notNull(),
  };
}

/**
 * Append-only, hash-chained log. A trigger (custom migration) refuses UPDATE,
 * DELETE and TRUNCATE; appends are serialised by the lock of the audit_head row.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    ...auditEventColumns(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_events_subject_idx').on(t.subject, t.seq),
    index('audit_events_action_idx').on(t.action, t.seq),
    // "What did this account do": without it the filter reads the whole log when the actor is rare.
    index('audit_events_actor_idx').on(t.actor, t.seq),
  ],
);

/**
 * The head of the audit chain, one row: the last sequence number and its hash. An
 * append updates it in the statement that inserts the event, so the row lock is the
 * chain's lock (held to commit, taken by whoever appends next only after) and the
 * update always sees the latest committed head. It also lets verify tell that the
 * newest events were removed: the chain must end where the head says.
 */
export const auditHead = pgTable(
  'audit_head',
  {
    id: boolean('id').primaryKey().default(true),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [check('audit_head_single_row', sql`${t.id}`)],
);

/**
 * Events on their way into the chain at COMMIT. A transaction that must not hold the
 * chain's lock while it talks to its client (a crossing) inserts its event here with
 * the canonical JSON cut around the sequence number; a deferred constraint trigger
 * links it to the chain as the transaction commits (taking the head row's lock only
 * then) and deletes it. A committed transaction leaves no row here.
 */
export const auditOutbox = pgTable('audit_outbox', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  ...auditEventColumns(),
  canonicalPrefix: text('canonical_prefix').notNull(),
  canonicalSuffix: text('canonical_suffix').notNull(),
});

/**
 * The audit journal: a lookup's event, written and committed by the lookup's own
 * statement (with its read), and a crossing's, by the statement that writes the crossing,
 * before the answer leaves. No lock of the chain is taken
 * there; the AuditSealer moves journal rows into the chain (audit_events) in id order,
 * deleting them in the same transaction — a row is in one table or the other, never both.
 */
export const auditJournal = pgTable('audit_journal', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  ...auditEventColumns(),
});

/** Stored first answers of creating POSTs, per principal and Idempotency-Key. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    route: text('route').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    response: jsonb('response').notNull(),
    headers: jsonb('headers').notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.principal, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);
