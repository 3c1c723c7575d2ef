import { z } from 'zod';
import { ROLES } from '../../db/schema.js';
import { timestamp, uuidParam } from '../../http/common.js';
import { USERNAME_RE } from './queries.js';

export const roleSchema = z.enum(ROLES);

const USERNAME_MESSAGE = 'must be 3–64 characters: letters, digits, dot, underscore, @ or hyphen';

export const createUserBody = z.strictObject({
  username: z
    .string()
    .max(200, { abort: true, message: USERNAME_MESSAGE })
    .trim()
    .toLowerCase()
    .regex(USERNAME_RE, USERNAME_MESSAGE),
  password: z.string().min(12, 'must be at least 12 characters').max(256),
  role: roleSchema,
  institutionId: uuidParam.optional(),
  researcherId: uuidParam.optional(),
  checkpoint: z.string().min(1).max(16).optional(),
});

export const userSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    role: roleSchema,
    institutionId: z.string().nullable(),
    researcherId: z.string().nullable(),
    checkpoint: z.string().nullable(),
    status: z.enum(['active', 'disabled']),
    createdAt: timestamp,
  })
  .meta({ id: 'User' });

export const apiClientSchema = z
  .object({
    id: z.string(),
    clientId: z.string(),
    institutionId: z.string(),
    name: z.string(),
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApiClient' });

export const createdApiClientSchema = apiClientSchema
  .extend({
    clientSecret: z
      .string()
      .optional()
      .describe('Shown once, in the first answer: only its hash is kept (an idempotent replay leaves it out)'),
  })
  .meta({ id: 'CreatedApiClient' });

export const createApiClientBody = z.strictObject({
  name: z.string().trim().min(1).max(200).default('integration'),
});

export const meSchema = z
  .object({
    sub: z.string(),
    kind: z.enum(['user', 'client']),
    role: roleSchema,
    username: z.string().optional(),
    institutionId: z.string().optional(),
    researcherId: z.string().optional(),
    checkpoint: z.string().optional(),
  })
  .meta({ id: 'Me' });
