import { sql } from 'drizzle-orm';
import {
  bigint,
  doublePrecision,
  numeric,
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import {
  DATA_CLASSIFICATIONS,
  DECISIONS,
  DIRECTIONS,
  DOCUMENT_STATUSES,
  INSPECTION_OUTCOMES,
  INSTITUTION_KINDS,
  INSTITUTION_STATUSES,
  ITEM_CATEGORIES,
  ITEM_STATUSES,
  RESEARCHER_STATUSES,
  SIDES,
  USER_STATUSES,
} from '../domain/statuses.js';
import { ROLES } from '../domain/scope.js';

export { DATA_CLASSIFICATIONS, DIRECTIONS, DOCUMENT_STATUSES, INSPECTION_OUTCOMES, ITEM_CATEGORIES, ITEM_STATUSES };

/**
 * The drizzle schema. `drizzle-kit generate` turns changes here into SQL in
 * migrations/; hand-written SQL (extensions, triggers, reference data) lives in
 * custom migrations next to the generated ones.
 */

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const institutions = pgTable(
  'institutions',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    nameZh: text('name_zh'),
    side: text('side', { enum: SIDES }).notNull(),
    kind: text('kind', {
      enum: INSTITUTION_KINDS,
    }).notNull(),
    registrationNumber: text('registration_number').notNull(),
    status: text('status', { enum: INSTITUTION_STATUSES }).notNull().default('active'),
    statusReason: text('status_reason'),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('institutions_side_registration_uq').on(t.side, t.registrationNumber),
    check('institutions_side_ck', sql`${t.side} in ('SZ','HK')`),
    check('institutions_status_ck', sql`${t.status} in ('active','suspended')`),
  ],
);

export const researchers = pgTable(
  'researchers',
  {
    id: uuid('id').primaryKey(),
    institutionId: uuid('institution_id')
      .notNull()
      .references(() => institutions.id),
    fullName: text('full_name').notNull(),
    nameZh: text('name_zh'),
    dateOfBirth: date('date_of_birth', { mode: 'string' }).notNull(),
    nationality: text('nationality').notNull(),
    email: text('email').notNull(),
    status: text('status', { enum: RESEARCHER_STATUSES })
      .notNull()
      .default('nominated'),
    statusReason: text('status_reason'),
    validFrom: date('valid_from', { mode: 'string' }),
    validUntil: date('valid_until', { mode: 'string' }),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('researchers_institution_idx').on(t.institutionId, t.id),
    // The target of identity_documents_holder_fk: a document's institution is its holder's.
    uniqueIndex('researchers_id_institution_uq').on(t.id, t.institutionId),
    index('researchers_status_idx').on(t.status, t.id),
    check(
      'researchers_status_ck',
      sql`${t.status} in ('nominated','approved','rejected','suspended','revoked')`,
    ),
  ],
);


export const identityDocuments = pgTable(
  'identity_documents',
  {
    id: uuid('id').primaryKey(),
    researcherId: uuid('researcher_id')
      .notNull()
      .references(() => researchers.id),
    kind: text('kind', {
      enum: ['passport', 'hkid', 'prc_id', 'hk_macao_permit', 'home_return_permit'],
    }).notNull(),
    number: text('number').notNull(),
    issuingCountry: text('issuing_country').notNull(),
    /** '' for every kind but passports, whose numbers are unique per issuing country only. */
    countryKey: text('country_key').notNull().default(''),
    expiresOn: date('expires_on', { mode: 'string' }).notNull(),
    /** Vetted by customs: a document clears nobody until it is approved (with its researcher, or on its own). */
    status: text('status', { enum: DOCUMENT_STATUSES }).notNull().default('pending'),
    statusReason: text('status_reason'),
    /** The holder's institution (kept equal to theirs by a foreign key): duplicates are refused per institution. */
    institutionId: uuid('institution_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // One approved holder per document; pending holders elsewhere wait for the supervisor.
    uniqueIndex('identity_documents_approved_uq').on(t.kind, t.number, t.countryKey).where(sql`${t.status} = 'approved'`),
    uniqueIndex('identity_documents_institution_uq').on(t.institutionId, t.kind, t.number, t.countryKey),
    foreignKey({
      name: 'identity_documents_holder_fk',
      columns: [t.researcherId, t.institutionId],
      foreignColumns: [researchers.id, researchers.institutionId],
    }),
    index('identity_documents_kind_number_idx').on(t.kind, t.number, t.countryKey),
    index('identity_documents_researcher_idx').on(t.researcherId),
    check('identity_documents_status_ck', sql`${t.status} in ('pending','approved','rejected','revoked')`),
  ],
);


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

export const checkpoints = pgTable('checkpoints', {
  code: text('code').primaryKey(),
  nameEn: text('name_en').notNull(),
  nameZh: text('name_zh').notNull(),
  hetaoLane: boolean('hetao_lane').notNull().default(false),
  active: boolean('active').notNull().default(true),
  createdAt: createdAt(),
});

export { ROLES, type Role } from '../domain/scope.js';

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    username: text('username').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    institutionId: uuid('institution_id').references(() => institutions.id),
    researcherId: uuid('researcher_id').references(() => researchers.id),
    checkpoint: text('checkpoint').references(() => checkpoints.code),
    status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_username_uq').on(t.username),
    check(
      'users_role_ck',
      sql`${t.role} in ('supervisor','officer','institution_admin','researcher','auditor')`,
    ),
    check(
      'users_scope_ck',
      sql`(${t.role} <> 'institution_admin' or ${t.institutionId} is not null)
      and (${t.role} <> 'researcher' or (${t.researcherId} is not null and ${t.institutionId} is not null))
      and (${t.role} <> 'officer' or ${t.checkpoint} is not null)`,
    ),
  ],
);

export const apiClients = pgTable(
  'api_clients',
  {
    id: uuid('id').primaryKey(),
    clientId: text('client_id').notNull(),
    secretHash: text('secret_hash').notNull(),
    institutionId: uuid('institution_id')
      .notNull()
      .references(() => institutions.id),
    name: text('name').notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('api_clients_client_id_uq').on(t.clientId),
    index('api_clients_institution_idx').on(t.institutionId),
  ],
);

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
