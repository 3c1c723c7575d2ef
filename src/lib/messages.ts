import { z } from 'zod';

/**
 * The messages a person reads when input is refused, in place of zod's defaults
 * ("Invalid input: expected string, received undefined"). Installed once, for every
 * zod schema (requests, the CSV import, the environment); a schema's own message
 * still wins. Each message reads after the field's name: "hsCode is required: …".
 */

/** What the well-known fields are, said after "is required" or a wrong type. */
export const FIELD_HINTS: Record<string, string> = {
  hsCode: 'the 6–10 digit Harmonized System code, e.g. 847130',
  serialNumber: "the manufacturer's serial number, as printed on the item",
  casNumber: 'the CAS registry number, e.g. 64-17-5',
  sha256: 'the SHA-256 digest of the data, 64 hexadecimal characters',
  sizeBytes: 'the size of the data in bytes, e.g. 1048576',
  fullName: 'the name as written in the travel document, e.g. CHAN TAI MAN',
  dateOfBirth: 'a date YYYY-MM-DD, e.g. 1985-04-12',
  expiresOn: 'the expiry date YYYY-MM-DD, e.g. 2033-08-31',
  validFrom: 'a date YYYY-MM-DD, e.g. 2026-01-01',
  validUntil: 'the last day of validity YYYY-MM-DD, e.g. 2027-12-31',
  travelDate: 'a date YYYY-MM-DD, e.g. 2026-12-01',
  nationality: 'an ISO 3166-1 alpha-3 code, e.g. CHN, HKG, GBR',
  issuingCountry: 'an ISO 3166-1 alpha-3 code, e.g. CHN, HKG, GBR',
  email: 'an email address, e.g. tm.chan@example.edu.hk',
  documents: 'the identity documents, e.g. [{"kind": "passport", "number": "K01234567", "issuingCountry": "CHN", "expiresOn": "2033-08-31"}]',
  number: 'the document number as printed, e.g. K01234567',
  checkpoint: 'a checkpoint code, as listed by GET /v1/checkpoints, e.g. LMC',
  direction: 'HK_TO_SZ or SZ_TO_HK',
  quantity: "a positive number in the item's unit, e.g. 250",
  unit: 'the unit of the quantity, e.g. mL or g',
  reason: 'why, in a sentence the audit log keeps',
  username: 'the account name, e.g. officer-lmc',
};

/** "is required", and what the field is when it is a well-known one. */
export const requiredMessage = (field: string | undefined): string => withHint('is required', field);

const withHint = (message: string, field: string | undefined): string => {
  const hint = field !== undefined ? FIELD_HINTS[field] : undefined;
  return hint ? `${message}: ${hint}` : message;
};

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);

function typeOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'number' && Number.isNaN(input)) return 'not a number';
  return article(typeof input);
}

const FORMATS: Record<string, string> = {
  email: 'must be an email address',
  uuid: 'must be a UUID',
  guid: 'must be a UUID',
  date: 'must be a date YYYY-MM-DD',
  datetime: 'must be an RFC 3339 date-time, e.g. 2026-12-01T08:30:00+08:00',
  time: 'must be a time HH:MM:SS',
  url: 'must be a URL',
};

const plural = (n: number | bigint, one: string, many = `${one}s`) => `${n} ${Number(n) === 1 ? one : many}`;

/** The message of one issue, or undefined to keep zod's. */
export function messageOf(iss: z.core.$ZodRawIssue): string | undefined {
  const last = iss.path?.[iss.path.length - 1];
  const field = typeof last === 'string' ? last : undefined;
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return requiredMessage(field);
      if (iss.expected === 'number' && typeof iss.input === 'number' && Number.isNaN(iss.input)) return withHint('must be a number', field);
      return withHint(`must be ${article(iss.expected)}, not ${typeOf(iss.input)}`, field);
    }
    case 'too_small': {
      const min = iss.minimum;
      if (iss.origin === 'string') return Number(min) <= 1 ? 'must not be empty' : `must be at least ${plural(min, 'character')}`;
      if (iss.origin === 'array' || iss.origin === 'set') return `must have at least ${plural(min, 'item')}`;
      return iss.inclusive === false ? `must be greater than ${min}` : `must be at least ${min}`;
    }
    case 'too_big': {
      const max = iss.maximum;
      if (iss.origin === 'string') return `must be at most ${plural(max, 'character')}`;
      if (iss.origin === 'array' || iss.origin === 'set') return `must have at most ${plural(max, 'item')}`;
      return iss.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
    }
    case 'invalid_format':
      return withHint(FORMATS[iss.format] ?? (iss.format === 'regex' ? 'is not in the expected format' : `must be a valid ${iss.format}`), field);
    case 'invalid_value':
      return `must be one of: ${iss.values.map((v) => String(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${iss.divisor}`;
    case 'unrecognized_keys':
      return `has fields this request does not take: ${iss.keys.join(', ')}`;
    case 'invalid_union':
      return withHint('does not match any accepted form', field);
    default:
      return undefined;
  }
}

z.config({ customError: (iss) => messageOf(iss) });

/** "hsCode is required: …" for messages that read after the field's name; "path: message" for the others. */
export function fieldSentence(path: string, message: string): string {
  return /^(is|must|has|does|are) /.test(message) ? `${path} ${message}` : `${path}: ${message}`;
}
