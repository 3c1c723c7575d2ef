// The registry: institutions, their researchers and the researchers' identity documents.
import { sql } from 'drizzle-orm';
import { check, date, foreignKey, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { DOCUMENT_STATUSES, INSTITUTION_KINDS, INSTITUTION_STATUSES, RESEARCHER_STATUSES, SIDES } from '../../domain/statuses.js';
import { createdAt, updatedAt } from './columns.js';

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
