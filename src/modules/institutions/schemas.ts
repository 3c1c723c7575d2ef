import { z } from 'zod';
import { INSTITUTION_KINDS, INSTITUTION_STATUSES, SIDES } from '../../domain/statuses.js';
import { timestamp } from '../../http/common.js';

export { INSTITUTION_KINDS, INSTITUTION_STATUSES };

export const sideSchema = z.enum(SIDES, { message: 'must be SZ or HK' });
export const institutionKindSchema = z.enum(INSTITUTION_KINDS, { message: `must be one of ${INSTITUTION_KINDS.join(', ')}` });
export const institutionStatusSchema = z.enum(INSTITUTION_STATUSES);

/** Business registration number (HK) or unified social credit code (SZ): upper case, single spaces. */
export function normalizeRegistrationNumber(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/gu, ' ').trim().toUpperCase();
}

const REGISTRATION_RE = /^[A-Z0-9][A-Z0-9 ./-]{0,63}$/;

// The English name is NFKC (full-width Latin letters are the plain ones); the Chinese name keeps its full-width
// punctuation, which is how Chinese is written.
const nameSchema = z.string().max(300, 'must be at most 300 characters').overwrite((s) => s.normalize('NFKC').replace(/\s+/gu, ' ').trim())
  .refine((s) => s.length > 0, { message: 'is required' });
const nameZhSchema = z.string().max(100, 'must be at most 100 characters').overwrite((s) => s.trim())
  .refine((s) => s.length > 0, { message: 'must not be empty (leave it out instead)' });
const registrationNumberSchema = z
  .string()
  .max(64, 'must be at most 64 characters')
  .overwrite(normalizeRegistrationNumber)
  .refine((s) => REGISTRATION_RE.test(s), {
    message: 'must be letters and digits (spaces, dots, slashes and hyphens allowed), e.g. a HK BR number or a unified social credit code',
  })
  .describe('Business registration number (HK) or unified social credit code (SZ); stored upper case');

export const createInstitutionBody = z.strictObject({
  name: nameSchema.describe('English name'),
  nameZh: nameZhSchema.optional().describe('Chinese name'),
  side: sideSchema,
  kind: institutionKindSchema,
  registrationNumber: registrationNumberSchema,
});

export const updateInstitutionBody = z.strictObject({
  name: nameSchema.optional(),
  nameZh: nameZhSchema.nullable().optional().describe('null removes it'),
  side: sideSchema.optional(),
  kind: institutionKindSchema.optional(),
  registrationNumber: registrationNumberSchema.optional(),
});

export const suspendInstitutionBody = z.strictObject({
  reason: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .min(1, 'is required').max(2000, 'must be at most 2000 characters'),
});

export const institutionSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    nameZh: z.string().nullable(),
    side: sideSchema,
    kind: institutionKindSchema,
    registrationNumber: z.string(),
    status: institutionStatusSchema,
    statusReason: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Institution' });
