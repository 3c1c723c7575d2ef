import { z } from 'zod';
import { REASON_CODES } from '../../domain/decision/types.js';
import { DIRECTIONS, DOCUMENT_STATUSES, INSPECTION_OUTCOMES, ITEM_CATEGORIES, ITEM_STATUSES, REPORTED_RESEARCHER_STATUSES } from '../../domain/statuses.js';
import { DOCUMENT_KINDS } from '../../domain/documents/index.js';
import { timestamp } from '../../http/common.js';

export const documentRefSchema = z.strictObject({
  kind: z.enum(DOCUMENT_KINDS as unknown as [string, ...string[]]),
  number: z.string().trim().min(1, 'is required').max(40),
  issuingCountry: z
    .string()
    .max(16, { abort: true, message: 'must be an ISO 3166-1 alpha-3 code' })
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 3166-1 alpha-3 code')
    .optional()
    .describe('Only needed for passports when the same number exists for two countries'),
});

/** `{document: {kind, number}}` or `{mrz}`: exactly one. */
export const travellerRefSchema = z
  .strictObject({
    document: documentRefSchema.optional(),
    mrz: z.string().min(1).max(200).optional().describe('TD3 (2×44) or TD1 (3×30) MRZ, lines separated by \\n'),
  })
  .superRefine((v, ctx) => {
    const n = (v.document ? 1 : 0) + (v.mrz ? 1 : 0);
    if (n !== 1) {
      ctx.addIssue({ code: 'custom', path: v.document ? ['mrz'] : ['document'], message: 'give exactly one of document or mrz' });
    }
  });

export const reasonSchema = z
  .object({ code: z.enum(REASON_CODES), itemId: z.string().optional(), detail: z.string() })
  .meta({ id: 'Reason' });

const RESEARCHER_STATES = REPORTED_RESEARCHER_STATUSES;

export const cardItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  category: z.enum(ITEM_CATEGORIES),
  status: z.enum(ITEM_STATUSES),
  validUntil: z.string().nullable(),
  homeSide: z.enum(['SZ', 'HK']),
  currentSide: z.enum(['SZ', 'HK']).nullable(),
  returnBy: timestamp.nullable(),
  overdue: z.boolean(),
  remainingQuantity: z.number().nullable(),
  unit: z.string().nullable(),
  serialNumber: z.string().nullable(),
  sha256: z
    .string()
    .nullable()
    .describe('Data items: the registered SHA-256 digest (lower-case hex), to compare with the copy carried; null for other categories'),
  sizeBytes: z.number().int().nullable().describe('Data items: the registered size in bytes; null for other categories'),
});

export const lookupResponseSchema = z
  .object({
    researcher: z.object({
      id: z.string(),
      fullName: z.string(),
      nameZh: z.string().nullable(),
      dateOfBirth: z.string(),
      nationality: z.string(),
      status: z.enum(RESEARCHER_STATES),
      validFrom: z.string().nullable(),
      validUntil: z.string().nullable(),
    }),
    institution: z.object({
      id: z.string(),
      name: z.string(),
      nameZh: z.string().nullable(),
      side: z.enum(['SZ', 'HK']),
      status: z.enum(['active', 'suspended']),
    }),
    whitelist: z.object({
      status: z.enum(RESEARCHER_STATES),
      validFrom: z.string().nullable(),
      validUntil: z.string().nullable(),
      /** Approved, inside its window, and the institution active. */
      inGoodStanding: z.boolean(),
    }),
    document: z.object({
      kind: z.string(),
      number: z.string(),
      issuingCountry: z.string(),
      expiresOn: z.string(),
      status: z
        .enum(DOCUMENT_STATUSES)
        .describe('Only an approved document clears its holder (DOCUMENT_NOT_APPROVED otherwise)'),
    }),
    documentChecks: z.object({
      expired: z.boolean(),
      mrz: z
        .object({
          dateOfBirthMatches: z.boolean(),
          nationalityMatches: z.boolean(),
          expiresOnMatches: z.boolean(),
        })
        .nullable(),
    }),
    items: z.array(cardItemSchema),
    alerts: z.array(reasonSchema).describe('What would flag this traveller before any item is declared'),
    lookedUpAt: timestamp,
  })
  .meta({ id: 'TravellerCard' });

export const declaredItemSchema = z
  .strictObject({
    itemId: z.uuid().optional(),
    serialNumber: z.string().trim().min(1).max(100).optional(),
    quantity: z.number().positive().finite().optional().describe('Required for reagents and biological samples'),
    sha256: z
      .string()
      .max(100, { abort: true, message: 'must be 64 hexadecimal characters' })
      .trim()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal characters')
      .optional()
      .describe('Required for data: the digest of the copy carried'),
  })
  .superRefine((v, ctx) => {
    if ((v.itemId ? 1 : 0) + (v.serialNumber ? 1 : 0) !== 1) {
      ctx.addIssue({ code: 'custom', path: ['itemId'], message: 'give exactly one of itemId or serialNumber' });
    }
  });

export const crossingBodySchema = z.strictObject({
  checkpoint: z.string().trim().min(1).max(16),
  direction: z.enum(DIRECTIONS),
  traveller: travellerRefSchema,
  items: z.array(declaredItemSchema).max(100).default([]),
});

export const inspectionSchema = z
  .object({
    id: z.string(),
    crossingId: z.string(),
    outcome: z.enum(INSPECTION_OUTCOMES),
    notes: z.string(),
    officerId: z.string(),
    checkpoint: z.string(),
    recordedAt: timestamp,
  })
  .meta({ id: 'Inspection' });

export const crossingItemSchema = z.object({
  line: z.number().int(),
  itemId: z.string().nullable(),
  serialNumber: z.string().nullable(),
  name: z.string().nullable(),
  category: z.enum(ITEM_CATEGORIES).nullable(),
  quantity: z.number().nullable(),
  sha256: z.string().nullable(),
});

export const crossingSchema = z
  .object({
    id: z.string(),
    decision: z.enum(['CLEARED', 'FLAGGED']),
    reasons: z.array(reasonSchema),
    traveller: z
      .object({
        researcherId: z.string(),
        fullName: z.string(),
        nameZh: z.string().nullable(),
        institutionId: z.string(),
        institutionName: z.string(),
      })
      .nullable(),
    document: z.object({ kind: z.string(), number: z.string() }),
    items: z.array(crossingItemSchema),
    checkpoint: z.string(),
    direction: z.enum(DIRECTIONS),
    decidedAt: timestamp,
    officerId: z.string(),
    inspection: inspectionSchema.nullable(),
  })
  .meta({ id: 'Crossing' });

export const inspectionBodySchema = z.strictObject({
  outcome: z.enum(INSPECTION_OUTCOMES),
  notes: z.string().trim().min(1, 'is required').max(4000),
});
