// Crossings, the items declared on them, item movements and inspections.
import { boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { DECISIONS, DIRECTIONS, INSPECTION_OUTCOMES } from '../../domain/statuses.js';
import { checkpoints } from './accounts.js';
import { items } from './items.js';
import { institutions, researchers } from './registry.js';

/**
 * One traveller passing one checkpoint in one direction, with the decision. A
 * crossing is never changed after it is written: an inspection outcome is a row of
 * its own.
 */
export const crossings = pgTable(
  'crossings',
  {
    id: uuid('id').primaryKey(),
    checkpoint: text('checkpoint')
      .notNull()
      .references(() => checkpoints.code),
    direction: text('direction', { enum: DIRECTIONS }).notNull(),
    officerId: uuid('officer_id').notNull(),
    /** Null when nobody on the whitelist matched the document. */
    researcherId: uuid('researcher_id').references(() => researchers.id),
    institutionId: uuid('institution_id').references(() => institutions.id),
    documentKind: text('document_kind').notNull(),
    documentNumber: text('document_number').notNull(),
    viaMrz: boolean('via_mrz').notNull().default(false),
    decision: text('decision', { enum: DECISIONS }).notNull(),
    reasons: jsonb('reasons').notNull(),
    /** Reason codes alone, for the statistics. */
    reasonCodes: text('reason_codes').array().notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    index('crossings_checkpoint_idx').on(t.checkpoint, t.decidedAt),
    index('crossings_decided_idx').on(t.decidedAt),
    index('crossings_institution_idx').on(t.institutionId, t.decidedAt),
    index('crossings_researcher_idx').on(t.researcherId, t.decidedAt),
  ],
);

/** The items declared on a crossing, line by line. */
export const crossingItems = pgTable(
  'crossing_items',
  {
    crossingId: uuid('crossing_id')
      .notNull()
      .references(() => crossings.id),
    line: integer('line').notNull(),
    itemId: uuid('item_id').references(() => items.id),
    serialNumber: text('serial_number'),
    quantity: doublePrecision('quantity'),
    sha256: text('sha256'),
  },
  (t) => [primaryKey({ columns: [t.crossingId, t.line] }), index('crossing_items_item_idx').on(t.itemId)],
);

/**
 * The item ledger's movements: equipment changing side, consumables drawn down.
 * Written by a CLEARED crossing, or by an inspection that RELEASED a FLAGGED one.
 */
export const itemMovements = pgTable(
  'item_movements',
  {
    id: uuid('id').primaryKey(),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    crossingId: uuid('crossing_id')
      .notNull()
      .references(() => crossings.id),
    inspectionId: uuid('inspection_id'),
    kind: text('kind', { enum: ['moved', 'consumed', 'copied'] }).notNull(),
    fromSide: text('from_side'),
    toSide: text('to_side'),
    quantity: doublePrecision('quantity'),
    remainingAfter: doublePrecision('remaining_after'),
    returnBy: timestamp('return_by', { withTimezone: true, mode: 'date' }),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('item_movements_item_idx').on(t.itemId, t.at)],
);

/** The outcome an officer records on a FLAGGED crossing, once. */
export const inspections = pgTable(
  'inspections',
  {
    id: uuid('id').primaryKey(),
    crossingId: uuid('crossing_id')
      .notNull()
      .references(() => crossings.id),
    outcome: text('outcome', { enum: INSPECTION_OUTCOMES }).notNull(),
    notes: text('notes').notNull(),
    officerId: uuid('officer_id').notNull(),
    checkpoint: text('checkpoint').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('inspections_crossing_uq').on(t.crossingId)],
);
