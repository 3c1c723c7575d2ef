// Items of every category and who may carry them.
import { sql } from 'drizzle-orm';
import { bigint, check, date, doublePrecision, index, integer, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { DATA_CLASSIFICATIONS, ITEM_CATEGORIES, ITEM_STATUSES, SIDES } from '../../domain/statuses.js';
import { createdAt, updatedAt } from './columns.js';
import { institutions, researchers } from './registry.js';

/**
 * Items of all four categories in one table: the columns of the other categories
 * stay null (checked below), so a crossing locks and reads every kind the same way.
 */
export const items = pgTable(
  'items',
  {
    id: uuid('id').primaryKey(),
    institutionId: uuid('institution_id')
      .notNull()
      .references(() => institutions.id),
    category: text('category', { enum: ITEM_CATEGORIES }).notNull(),
    name: text('name').notNull(),
    description: text('description'),
    homeSide: text('home_side', { enum: SIDES }).notNull(),
    status: text('status', { enum: ITEM_STATUSES }).notNull(),
    statusReason: text('status_reason'),
    validUntil: date('valid_until', { mode: 'string' }),
    /** The researcher who pre-registered it, when it was submitted by one. */
    submittedBy: uuid('submitted_by').references(() => researchers.id),
    // equipment
    serialNumber: text('serial_number'),
    manufacturer: text('manufacturer'),
    model: text('model'),
    hsCode: text('hs_code'),
    valueAmount: numeric('value_amount', { precision: 14, scale: 2, mode: 'number' }),
    valueCurrency: text('value_currency'),
    maxDaysAbroad: integer('max_days_abroad'),
    currentSide: text('current_side', { enum: SIDES }),
    returnBy: timestamp('return_by', { withTimezone: true, mode: 'date' }),
    // reagent, biological_sample
    quantity: doublePrecision('quantity'),
    remainingQuantity: doublePrecision('remaining_quantity'),
    unit: text('unit'),
    casNumber: text('cas_number'),
    hazardClass: text('hazard_class'),
    biosafetyLevel: integer('biosafety_level'),
    permitReference: text('permit_reference'),
    // data
    sha256: text('sha256'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    classification: text('classification', { enum: DATA_CLASSIFICATIONS }),
    transferApprovalReference: text('transfer_approval_reference'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('items_institution_idx').on(t.institutionId, t.id),
    uniqueIndex('items_institution_serial_uq')
      .on(t.institutionId, t.serialNumber)
      .where(sql`${t.serialNumber} is not null`),
    index('items_serial_idx').on(t.serialNumber),
    index('items_overdue_idx').on(t.returnBy).where(sql`${t.returnBy} is not null`),
    check('items_category_ck', sql`${t.category} in ('equipment','reagent','biological_sample','data')`),
    check(
      'items_status_ck',
      sql`${t.status} in ('submitted','endorsed','approved','rejected','suspended','revoked')`,
    ),
    check(
      'items_equipment_ck',
      sql`${t.category} <> 'equipment' or (${t.serialNumber} is not null and ${t.currentSide} is not null)`,
    ),
    check(
      'items_consumable_ck',
      sql`${t.category} not in ('reagent','biological_sample') or (${t.quantity} is not null and ${t.remainingQuantity} is not null and ${t.remainingQuantity} >= 0)`,
    ),
    check('items_data_ck', sql`${t.category} <> 'data' or (${t.sha256} is not null and ${t.classification} is not null)`),
  ],
);

/** The researchers who may carry an item. */
export const itemCustodians = pgTable(
  'item_custodians',
  {
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id),
    researcherId: uuid('researcher_id')
      .notNull()
      .references(() => researchers.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.itemId, t.researcherId] }), index('item_custodians_researcher_item_idx').on(t.researcherId, t.itemId)],
);
