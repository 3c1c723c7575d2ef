import { z } from 'zod';
import { DATA_CLASSIFICATIONS, ITEM_CATEGORIES, ITEM_STATUSES } from '../../domain/statuses.js';
import { type ValidationResult, validateCasNumber, validateHsCode } from '../../domain/documents/index.js';
import { isoDate, timestamp, uuidParam } from '../../http/common.js';
import { pageQuery } from '../../http/pagination.js';

export const MAX_CUSTODIANS = 20;

export const sideSchema = z.enum(['SZ', 'HK']);
export const itemCategorySchema = z.enum(ITEM_CATEGORIES);
export const itemStatusSchema = z.enum(ITEM_STATUSES);
export const dataClassificationSchema = z.enum(DATA_CLASSIFICATIONS);

/**
 * Equipment serial numbers are compared as customs reads them off the label:
 * trimmed, inner whitespace collapsed, upper case. The crossing lookup by
 * serial number must normalise the same way.
 */
export function normalizeSerialNumber(raw: string): string {
  return raw.trim().replace(/\s+/g, ' ').toUpperCase();
}

const ISO_CURRENCIES: ReadonlySet<string> = new Set(
  typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('currency') : [],
);

/** Every field name an item has, in any category: what the service keeps or computes. */
const ITEM_FIELDS = [
  'id',
  'institutionId',
  'category',
  'name',
  'description',
  'homeSide',
  'status',
  'statusReason',
  'validUntil',
  'custodianIds',
  'submittedBy',
  'createdAt',
  'updatedAt',
  'version',
  'serialNumber',
  'manufacturer',
  'model',
  'hsCode',
  'valueAmount',
  'valueCurrency',
  'maxDaysAbroad',
  'currentSide',
  'returnBy',
  'quantity',
  'remainingQuantity',
  'unit',
  'casNumber',
  'hazardClass',
  'biosafetyLevel',
  'permitReference',
  'sha256',
  'sizeBytes',
  'classification',
  'transferApprovalReference',
] as const;
const ITEM_FIELD_SET: ReadonlySet<string> = new Set(ITEM_FIELDS);

/**
 * A closed object, like z.strictObject, but each field that is not accepted is
 * refused at its own path (`status: cannot be changed…`) rather than as one
 * `Unrecognized key` at the root: a 422 that names the field. The OpenAPI
 * document still says `additionalProperties: false`.
 */
function closedObject<S extends z.ZodRawShape>(
  shape: S,
  refuse: (key: string) => string,
  meta: Record<string, unknown> = {},
) {
  const known = new Set(Object.keys(shape));
  return z
    .object(shape)
    .catchall(z.unknown())
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (!known.has(key)) ctx.addIssue({ code: 'custom', path: [key], message: refuse(key) });
      }
    })
    .meta({ ...meta, additionalProperties: false });
}

/** A string field checked and normalised by one of the src/documents validators. */
function checked(validate: (raw: string) => ValidationResult, max: number, description: string) {
  return z
    .string()
    .max(max)
    .transform((raw, ctx) => {
      const result = validate(raw);
      if (!result.ok) {
        ctx.addIssue({ code: 'custom', message: result.message, input: raw });
        return z.NEVER;
      }
      return result.normalized;
    })
    .describe(description);
}

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

const hsCode = checked(validateHsCode, 32, 'Harmonized System code, 6–10 digits (dots and spaces are dropped)');
const quantity = z
  .number()
  .positive('must be greater than 0')
  .max(1e12)
  .describe('Registered quantity, in `unit`');
const unit = text(32).describe('Unit of the quantity: g, mL, vials, tubes…');

const custodianIds = z
  .array(uuidParam)
  .min(1, 'must name at least one custodian')
  .max(MAX_CUSTODIANS, `at most ${MAX_CUSTODIANS} custodians`);

const commonCreate = {
  name: text(200),
  description: z.string().trim().max(2000).optional(),
  homeSide: sideSchema.describe('The side the item belongs on'),
  custodianIds: custodianIds
    .optional()
    .describe(
      'Researchers of the same institution (approved or nominated) who may carry the item. Required for institution admins and supervisors; a researcher may omit it (they are the only custodian).',
    ),
};

const CATEGORY_NOUN: Record<(typeof ITEM_CATEGORIES)[number], string> = {
  equipment: 'equipment',
  reagent: 'a reagent',
  biological_sample: 'a biological sample',
  data: 'a data item',
};

function refuseOnCreate(category: (typeof ITEM_CATEGORIES)[number]) {
  return (key: string) =>
    ITEM_FIELD_SET.has(key) ? `is not accepted when registering ${CATEGORY_NOUN[category]}` : 'is not a field of an item';
}

export const createEquipmentBody = closedObject(
  {
    category: z.literal('equipment'),
    ...commonCreate,
    serialNumber: z
      .string()
      .max(200)
      .transform(normalizeSerialNumber)
      .pipe(
        z
          .string()
          .min(1, 'must not be empty')
          .max(64)
          .regex(/^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/, 'must be printable ASCII characters'),
      )
      .describe('Manufacturer serial number, unique within the institution (stored upper case)'),
    manufacturer: text(200),
    model: text(200),
    hsCode,
    valueAmount: z
      .number()
      .positive('must be greater than 0')
      .max(999_999_999_999.99)
      .refine((v) => Math.abs(Math.round(v * 100) - v * 100) < 1e-6, 'must have at most 2 decimal places')
      .describe('Customs value'),
    valueCurrency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code: 3 upper-case letters')
      .refine((c) => ISO_CURRENCIES.size === 0 || ISO_CURRENCIES.has(c), 'is not an ISO 4217 currency code')
      .meta({ description: 'ISO 4217 currency code, e.g. HKD, CNY, USD', maxLength: 3 }),
    maxDaysAbroad: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('Days the equipment may stay away from its home side before it is overdue'),
  },
  refuseOnCreate('equipment'),
);

export const createReagentBody = closedObject(
  {
    category: z.literal('reagent'),
    ...commonCreate,
    quantity,
    unit,
    casNumber: checked(validateCasNumber, 32, 'CAS Registry Number with hyphens, check digit verified, e.g. 7732-18-5'),
    hazardClass: text(50).optional().describe('Hazard class, e.g. UN class 3 or a GHS category'),
    hsCode: hsCode.optional(),
  },
  refuseOnCreate('reagent'),
);

export const createBiologicalSampleBody = closedObject(
  {
    category: z.literal('biological_sample'),
    ...commonCreate,
    quantity,
    unit,
    biosafetyLevel: z.number().int().min(1, 'must be 1 to 4').max(4, 'must be 1 to 4').describe('Biosafety level 1–4'),
    permitReference: text(100).optional().describe('Required at biosafety level 2 and above'),
  },
  refuseOnCreate('biological_sample'),
).superRefine((value, ctx) => {
  if (typeof value.biosafetyLevel === 'number' && value.biosafetyLevel >= 2 && !value.permitReference) {
    ctx.addIssue({ code: 'custom', path: ['permitReference'], message: 'is required at biosafety level 2 and above' });
  }
});

export const createDataBody = closedObject(
  {
    category: z.literal('data'),
    ...commonCreate,
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal characters')
      .meta({ maxLength: 64 })
      .transform((s) => s.toLowerCase())
      .describe('SHA-256 digest of the data, 64 hex characters (stored lower case)'),
    sizeBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    classification: dataClassificationSchema,
    transferApprovalReference: text(100)
      .optional()
      .describe('Approval of the cross-border transfer; needed SZ→HK for personal_information and important_data'),
  },
  refuseOnCreate('data'),
);

export const createItemBody = z
  .discriminatedUnion('category', [createEquipmentBody, createReagentBody, createBiologicalSampleBody, createDataBody])
  .meta({ id: 'NewItem', description: 'An item to register: one shape per category' });

export type CreateItemBody = z.output<typeof createItemBody>;

export const updateItemBody = closedObject(
  {
    name: text(200).optional(),
    description: z.string().trim().max(2000).nullable().optional().describe('null clears it'),
    custodianIds: custodianIds.optional().describe('Replaces the custodians (institution admins and supervisors only)'),
  },
  (key) =>
    key === 'status' || key === 'statusReason' || key === 'validUntil'
      ? 'cannot be changed through PATCH: use the workflow actions (endorse, approve, reject, suspend, reinstate, revoke)'
      : ITEM_FIELD_SET.has(key)
        ? 'cannot be changed through PATCH'
        : 'is not a field of an item',
  { id: 'ItemUpdate' },
);

export type UpdateItemBody = z.output<typeof updateItemBody>;

export const approveItemBody = closedObject(
  { validUntil: isoDate.describe('Last day (border date, UTC+08:00) the approval is valid; not in the past') },
  (key) => (key === 'validFrom' ? 'items take no validFrom: an approval is valid from the moment it is given' : 'is not accepted here'),
);

export const reasonBody = closedObject({ reason: text(1000) }, () => 'is not accepted here');
export const optionalReasonBody = closedObject({ reason: text(1000).optional() }, () => 'is not accepted here');
export const emptyBody = closedObject({}, () => 'is not accepted here');

export const listItemsQuery = z.object({
  ...pageQuery,
  serialNumber: z.string().max(200).optional().describe('Exact serial number (compared upper case)'),
  institutionId: uuidParam.optional(),
  status: itemStatusSchema.optional(),
  category: itemCategorySchema.optional(),
  custodianId: uuidParam.optional().describe('Items this researcher may carry'),
});

// ---- responses ---------------------------------------------------------------

const itemBase = {
  id: z.string(),
  institutionId: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  homeSide: sideSchema,
  status: itemStatusSchema,
  statusReason: z.string().nullable(),
  validUntil: z.string().nullable().describe('YYYY-MM-DD, inclusive; set on approval'),
  custodianIds: z.array(z.string()),
  createdAt: timestamp,
  updatedAt: timestamp,
};

const equipmentItem = z
  .object({
    ...itemBase,
    category: z.literal('equipment'),
    serialNumber: z.string(),
    manufacturer: z.string(),
    model: z.string(),
    hsCode: z.string(),
    valueAmount: z.number(),
    valueCurrency: z.string(),
    maxDaysAbroad: z.number().int().nullable(),
    currentSide: sideSchema.describe('Where the equipment is now'),
    returnBy: timestamp.nullable().describe('While away from its home side: when it must be back'),
  })
  .meta({ id: 'EquipmentItem' });

const consumable = {
  quantity: z.number(),
  remainingQuantity: z.number().describe('What is left after the crossings so far'),
  unit: z.string(),
};

const reagentItem = z
  .object({
    ...itemBase,
    category: z.literal('reagent'),
    ...consumable,
    casNumber: z.string(),
    hazardClass: z.string().nullable(),
    hsCode: z.string().nullable(),
  })
  .meta({ id: 'ReagentItem' });

const biologicalSampleItem = z
  .object({
    ...itemBase,
    category: z.literal('biological_sample'),
    ...consumable,
    biosafetyLevel: z.number().int(),
    permitReference: z.string().nullable(),
  })
  .meta({ id: 'BiologicalSampleItem' });

const dataItem = z
  .object({
    ...itemBase,
    category: z.literal('data'),
    sha256: z.string(),
    sizeBytes: z.number().int(),
    classification: dataClassificationSchema,
    transferApprovalReference: z.string().nullable(),
  })
  .meta({ id: 'DataItem' });

export const itemSchema = z
  .discriminatedUnion('category', [equipmentItem, reagentItem, biologicalSampleItem, dataItem])
  .meta({ id: 'Item' });

export type ItemView = z.input<typeof itemSchema>;
