// Who signs in: checkpoints (an officer's post), users and API clients.
import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ROLES } from '../../domain/scope.js';
import { USER_STATUSES } from '../../domain/statuses.js';
import { createdAt, updatedAt } from './columns.js';
import { institutions, researchers } from './registry.js';

export const checkpoints = pgTable('checkpoints', {
  code: text('code').primaryKey(),
  nameEn: text('name_en').notNull(),
  nameZh: text('name_zh').notNull(),
  hetaoLane: boolean('hetao_lane').notNull().default(false),
  active: boolean('active').notNull().default(true),
  createdAt: createdAt(),
});

export { ROLES, type Role } from '../../domain/scope.js';

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
