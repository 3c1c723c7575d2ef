// Building an ICAO 9303 MRZ (TD3, TD1) with correct check digits: for tests, demos and the desk.
import { parseIsoDate } from './dates.js';
import { computeCheckDigit, FILLER, type MrzFormat, type MrzSex } from './mrz-core.js';
import { asciiUpperCase, describeChar } from './normalize.js';

export interface Td3Input {
  /** Defaults to `P`; must start with P. */
  documentCode?: string;
  issuingState: string;
  surname: string;
  givenNames: string;
  /** 1–9 characters `A-Z0-9`. */
  documentNumber: string;
  nationality: string;
  /** `YYYY-MM-DD` */
  dateOfBirth: string;
  sex: MrzSex;
  /** `YYYY-MM-DD`, year 2000–2099. */
  expiresOn: string;
  /** Up to 14 characters `A-Z0-9<`. */
  personalNumber?: string;
}

export interface Td1Input {
  /** Defaults to `I`; must start with I, A or C. */
  documentCode?: string;
  issuingState: string;
  /** 1–22 characters `A-Z0-9`; more than 9 uses the long-number form in the optional data. */
  documentNumber: string;
  /** Line 1 optional data (what fits after a long document number). */
  optionalData?: string;
  /** `YYYY-MM-DD` */
  dateOfBirth: string;
  sex: MrzSex;
  /** `YYYY-MM-DD`, year 2000–2099. */
  expiresOn: string;
  nationality: string;
  /** Line 2 optional data, up to 11 characters. */
  optionalData2?: string;
  surname: string;
  givenNames: string;
}

function mrzField(name: string, value: string, width: number, allowed: RegExp = /^[A-Z0-9<]$/): string {
  const v = asciiUpperCase(value);
  for (const ch of v) {
    if (!allowed.test(ch)) {
      throw new RangeError(`MRZ ${name} contains the invalid character ${describeChar(ch)}`);
    }
  }
  if (v.length > width) {
    throw new RangeError(`MRZ ${name} is too long: at most ${width} characters, got ${v.length}`);
  }
  return v.padEnd(width, FILLER);
}

/** `YYYY-MM-DD` → `YYMMDD`. */
function mrzDate(name: string, iso: string, expiry: boolean): string {
  const d = parseIsoDate(iso);
  if (d === undefined) {
    throw new RangeError(`MRZ ${name} must be a real date in the form YYYY-MM-DD, got ${JSON.stringify(iso)}`);
  }
  if (expiry && (d.year < 2000 || d.year > 2099)) {
    throw new RangeError(`MRZ ${name} must be in 2000-2099 (the MRZ reads expiry years as 20YY), got ${iso}`);
  }
  return iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
}

function mrzSex(sex: MrzSex): string {
  if (sex === 'M' || sex === 'F') return sex;
  if (sex === 'X') return FILLER;
  throw new RangeError(`MRZ sex must be M, F or X, got ${JSON.stringify(sex)}`);
}

/** One name part: letters, spaces and hyphens become `<`-separated words; apostrophes are dropped. */
function mrzNamePart(name: string, value: string): string {
  const words = asciiUpperCase(value)
    .replace(/['\u2019]/g, '')
    .split(/[\s-]+/)
    .filter((w) => w.length > 0);
  for (const w of words) {
    const bad = [...w].find((ch) => !/^[A-Z]$/.test(ch));
    if (bad !== undefined) {
      throw new RangeError(`MRZ ${name} contains the invalid character ${describeChar(bad)} (transliterate to A-Z first)`);
    }
  }
  return words.join(FILLER);
}

/** Name zone: primary `<<` secondary, truncated to the zone width and padded with fillers. */
function mrzNames(surname: string, givenNames: string, width: number): string {
  const primary = mrzNamePart('surname', surname);
  if (primary.length === 0) throw new RangeError('MRZ surname is empty');
  const secondary = mrzNamePart('given names', givenNames);
  const joined = secondary.length > 0 ? `${primary}<<${secondary}` : primary;
  return joined.slice(0, width).padEnd(width, FILLER);
}

function mrzDocumentCode(value: string | undefined, fallback: string, format: MrzFormat): string {
  const code = mrzField('document code', value ?? fallback, 2);
  const first = code[0];
  if (format === 'TD3' ? first !== 'P' : first !== 'I' && first !== 'A' && first !== 'C') {
    throw new RangeError(
      format === 'TD3'
        ? `TD3 document code must start with P, got ${JSON.stringify(value)}`
        : `TD1 document code must start with I, A or C, got ${JSON.stringify(value)}`,
    );
  }
  return code;
}

function mrzDocumentNumber(value: string, max: number): string {
  const v = asciiUpperCase(value);
  if (v.length === 0) throw new RangeError('MRZ document number is empty');
  if (v.length > max) throw new RangeError(`MRZ document number is too long: at most ${max} characters, got ${v.length}`);
  const bad = [...v].find((ch) => !/^[A-Z0-9]$/.test(ch));
  if (bad !== undefined) throw new RangeError(`MRZ document number contains the invalid character ${describeChar(bad)}`);
  return v;
}

const LETTERS = /^[A-Z]$/;

/** Build a TD3 (passport) MRZ, two 44-character lines joined by `\n`, with correct check digits. */
export function buildTd3(input: Td3Input): string {
  const code = mrzDocumentCode(input.documentCode, 'P', 'TD3');
  const state = mrzField('issuing state', input.issuingState, 3, LETTERS);
  const line1 = code + state + mrzNames(input.surname, input.givenNames, 39);

  const number = mrzField('document number', mrzDocumentNumber(input.documentNumber, 9), 9);
  const nationality = mrzField('nationality', input.nationality, 3, LETTERS);
  const birth = mrzDate('date of birth', input.dateOfBirth, false);
  const expiry = mrzDate('expiry date', input.expiresOn, true);
  const personal = mrzField('personal number', input.personalNumber ?? '', 14);
  const personalCheck = /^<+$/.test(personal) ? FILLER : String(computeCheckDigit(personal));

  const withoutComposite =
    number +
    computeCheckDigit(number) +
    nationality +
    birth +
    computeCheckDigit(birth) +
    mrzSex(input.sex) +
    expiry +
    computeCheckDigit(expiry) +
    personal +
    personalCheck;
  const composite = computeCheckDigit(
    withoutComposite.slice(0, 10) + withoutComposite.slice(13, 20) + withoutComposite.slice(21, 43),
  );
  return `${line1}\n${withoutComposite}${composite}`;
}

/** Longest TD1 document number: 9 in the number field + 13 in the optional data (+ check + filler). */
export const TD1_MAX_DOCUMENT_NUMBER_LENGTH = 22;

/** Build a TD1 (ID card) MRZ, three 30-character lines joined by `\n`, with correct check digits. */
export function buildTd1(input: Td1Input): string {
  const code = mrzDocumentCode(input.documentCode, 'I', 'TD1');
  const state = mrzField('issuing state', input.issuingState, 3, LETTERS);
  const number = mrzDocumentNumber(input.documentNumber, TD1_MAX_DOCUMENT_NUMBER_LENGTH);
  const optional = asciiUpperCase(input.optionalData ?? '');

  let numberZone: string; // line 1 positions 5..30
  if (number.length <= 9) {
    const field = number.padEnd(9, FILLER);
    numberZone = field + computeCheckDigit(field) + mrzField('optional data', optional, 15);
  } else {
    const rest = `${number.slice(9)}${computeCheckDigit(number)}${FILLER}${optional}`;
    if (rest.length > 15) {
      throw new RangeError(
        `MRZ document number ${number} and optional data do not fit in line 1 (${rest.length - 15} characters too many)`,
      );
    }
    numberZone = number.slice(0, 9) + FILLER + mrzField('optional data', rest, 15);
  }
  const line1 = code + state + numberZone;

  const birth = mrzDate('date of birth', input.dateOfBirth, false);
  const expiry = mrzDate('expiry date', input.expiresOn, true);
  const nationality = mrzField('nationality', input.nationality, 3, LETTERS);
  const optional2 = mrzField('optional data 2', input.optionalData2 ?? '', 11);
  const line2WithoutComposite =
    birth + computeCheckDigit(birth) + mrzSex(input.sex) + expiry + computeCheckDigit(expiry) + nationality + optional2;
  const composite = computeCheckDigit(
    line1.slice(5, 30) +
      line2WithoutComposite.slice(0, 7) +
      line2WithoutComposite.slice(8, 15) +
      line2WithoutComposite.slice(18, 29),
  );
  const line3 = mrzNames(input.surname, input.givenNames, 30);
  return `${line1}\n${line2WithoutComposite}${composite}\n${line3}`;
}
