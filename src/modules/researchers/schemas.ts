import { z } from 'zod';
import {
  DOCUMENT_STATUSES,
  REPORTED_RESEARCHER_STATUSES,
  type ReportedResearcherStatus,
  RESEARCHER_STATUSES,
  type ResearcherStatus,
} from '../../domain/statuses.js';
import { type DocumentKind, validateDocumentNumber } from '../../domain/documents/index.js';
import { isoDate, timestamp } from '../../http/common.js';
import { isCountryCode } from './countries.js';

export const DOCUMENT_KIND_VALUES = ['passport', 'hkid', 'prc_id', 'hk_macao_permit', 'home_return_permit'] as const satisfies readonly DocumentKind[];

export { REPORTED_RESEARCHER_STATUSES, RESEARCHER_STATUSES };
export type { ReportedResearcherStatus, ResearcherStatus as StoredResearcherStatus };

/** The only issuer of each document kind but passports: used when issuingCountry is left out. */
export const DEFAULT_ISSUER: Partial<Record<DocumentKind, string>> = {
  hkid: 'HKG',
  prc_id: 'CHN',
  hk_macao_permit: 'CHN',
  home_return_permit: 'CHN',
};

export const EARLIEST_BIRTH_DATE = '1900-01-01';

// ---- normalisers ---------------------------------------------------------------

/**
 * Identity fields are NFKC: a full-width `ＣＨＡＮ` (what Chinese input methods type) is the `CHAN` of the travel
 * document, and one person must not be registered twice in two spellings of the same letters.
 */
export const nfkc = (s: string): string => s.normalize('NFKC');

/** Names as in the travel document: NFKC, upper case, single spaces, no leading or trailing space. */
export function normalizeLatinName(raw: string): string {
  return nfkc(raw).replace(/\s+/gu, ' ').trim().toUpperCase();
}

/** Latin letters (with diacritics), and the space, hyphen, apostrophe, full stop and comma names carry. */
const LATIN_NAME_RE = /^\p{Script=Latin}[\p{Script=Latin}\p{M} '’\-.,]*$/u;

/** Chinese names: Han characters (NFKC: compatibility ideographs folded), and the middle dots of transliterated foreign names. */
export function normalizeChineseName(raw: string): string {
  return nfkc(raw).replace(/\s+/gu, '');
}
// The full stop is the NFKC form of the full-width `．` some write between the parts of a foreign name.
const HAN_NAME_RE = /^(?=.*\p{Script=Han})[\p{Script=Han}\u00B7\u30FB\u2027\u2022.]+$/u;

const COUNTRY_MESSAGE = 'must be an ISO 3166-1 alpha-3 country code, e.g. CHN, HKG or GBR';

export const countryCode = z
  .string()
  .max(16, { abort: true, message: COUNTRY_MESSAGE })
  .overwrite(nfkc)
  .trim()
  .toUpperCase()
  .refine(isCountryCode, { message: COUNTRY_MESSAGE })
  .describe('ISO 3166-1 alpha-3, upper case');

export const fullNameSchema = z
  .string()
  .max(200, { abort: true, message: 'must be at most 200 characters' })
  .overwrite(normalizeLatinName)
  .max(200, 'must be at most 200 characters')
  .refine((s) => s.length > 0, { message: 'is required' })
  .refine((s) => s.length === 0 || LATIN_NAME_RE.test(s), {
    message: 'must be the name in Latin script as in the travel document (letters, spaces, hyphens, apostrophes)',
  })
  .describe('As in the travel document, Latin script; stored upper case with single spaces');

export const nameZhSchema = z
  .string()
  .max(50, { abort: true, message: 'must be at most 50 characters' })
  .overwrite(normalizeChineseName)
  .max(50, 'must be at most 50 characters')
  .refine((s) => HAN_NAME_RE.test(s), { message: 'must be written in Chinese characters' })
  .describe('Chinese name, Han characters');

export const emailSchema = z
  .string()
  .max(1000, { abort: true, message: 'must be at most 254 characters' })
  .overwrite(nfkc)
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ message: 'must be an email address' }));

export const dateOfBirthSchema = isoDate.refine((d) => d >= EARLIEST_BIRTH_DATE, {
  message: `must be on or after ${EARLIEST_BIRTH_DATE}`,
});

export const documentKindSchema = z.enum(DOCUMENT_KIND_VALUES, {
  message: `must be one of ${DOCUMENT_KIND_VALUES.join(', ')}`,
});

/** One identity document; its number is validated and normalised by the document validators. */
export const documentBody = z
  .strictObject({
    kind: documentKindSchema,
    number: z.string().max(64, 'must be at most 64 characters'),
    issuingCountry: countryCode
      .optional()
      .describe('ISO 3166-1 alpha-3; required for passports, defaults to HKG for hkid and CHN for the Mainland documents'),
    expiresOn: isoDate,
  })
  .transform((doc, ctx) => {
    const checked = validateDocumentNumber(doc.kind, doc.number);
    let failed = false;
    if (!checked.ok) {
      ctx.addIssue({ code: 'custom', message: checked.message, path: ['number'], input: doc.number });
      failed = true;
    }
    const issuingCountry = doc.issuingCountry ?? DEFAULT_ISSUER[doc.kind];
    if (issuingCountry === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is required for a passport', path: ['issuingCountry'], input: undefined });
      failed = true;
    }
    if (failed || !checked.ok || issuingCountry === undefined) return z.NEVER;
    return { kind: doc.kind, number: checked.normalized, issuingCountry, expiresOn: doc.expiresOn };
  });

export type DocumentInput = z.output<typeof documentBody>;

export const researcherBody = z.strictObject({
  fullName: fullNameSchema,
  nameZh: nameZhSchema.optional(),
  dateOfBirth: dateOfBirthSchema,
  nationality: countryCode,
  email: emailSchema,
  documents: z
    .array(documentBody)
    .min(1, 'must list at least one identity document')
    .max(10, 'must list at most 10 identity documents'),
});

export type ResearcherInput = z.output<typeof researcherBody>;

export const updateResearcherBody = z.strictObject({
  fullName: fullNameSchema.optional(),
  nameZh: nameZhSchema.nullable().optional().describe('null removes it'),
  dateOfBirth: dateOfBirthSchema.optional(),
  nationality: countryCode.optional(),
  email: emailSchema.optional(),
});

export type ResearcherUpdate = z.output<typeof updateResearcherBody>;

const reasonSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .trim().min(1, 'is required').max(2000, 'must be at most 2000 characters');

export const reasonBody = z.strictObject({ reason: reasonSchema });

export const approveBody = z.strictObject({
  validFrom: isoDate.optional().describe('Defaults to today at the border (UTC+08:00)'),
  validUntil: isoDate.describe('Last day of validity (inclusive)'),
});

export const optionalReasonBody = z.strictObject({ reason: reasonSchema.optional() }).nullish();

// ---- responses -------------------------------------------------------------------

export const documentSchema = z
  .object({
    id: z.string(),
    kind: documentKindSchema,
    number: z.string(),
    issuingCountry: z.string(),
    expiresOn: z.string(),
    status: z
      .enum(DOCUMENT_STATUSES)
      .describe('`pending` until customs approves it (with the nomination, or on its own); only an `approved` document clears its holder'),
    statusReason: z.string().nullable(),
    otherHolders: z
      .array(
        z.object({
          documentId: z.string(),
          researcherId: z.string(),
          institutionId: z.string(),
          status: z.enum(DOCUMENT_STATUSES),
        }),
      )
      .optional()
      .describe('Supervisors only, on GET: other researchers who registered the same document (the conflicts to resolve before approval)'),
  })
  .meta({ id: 'IdentityDocument' });

export const researcherSchema = z
  .object({
    id: z.string(),
    institutionId: z.string(),
    fullName: z.string(),
    nameZh: z.string().nullable(),
    dateOfBirth: z.string(),
    nationality: z.string(),
    email: z.string(),
    status: z.enum(REPORTED_RESEARCHER_STATUSES).describe('`expired` is reported for an approved researcher past validUntil'),
    statusReason: z.string().nullable(),
    validFrom: z.string().nullable(),
    validUntil: z.string().nullable(),
    documents: z.array(documentSchema),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Researcher' });

export const researcherSearchHitSchema = researcherSchema
  .extend({ score: z.number().optional().describe('Similarity to `q`, 0–1; only when `q` is given') })
  .meta({ id: 'ResearcherListItem' });

export const importResultSchema = z
  .object({
    created: z.number().int(),
    researchers: z.array(z.object({ row: z.number().int(), id: z.string(), fullName: z.string(), nameZh: z.string().nullable() })),
  })
  .meta({ id: 'ResearcherImportResult' });

