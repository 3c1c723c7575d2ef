/**
 * ICAO Doc 9303 machine readable zone (MRZ): parser, check digits and builders for
 * TD3 (passport booklets, 2 × 44 characters) and TD1 (ID cards, 3 × 30 characters).
 */
import { asciiUpperCase, describeChar } from './normalize.js';
import { isValidCalendarDate, isoDate, parseIsoDate, yearAtBorder } from './dates.js';

export type MrzFormat = 'TD3' | 'TD1';
export type MrzSex = 'M' | 'F' | 'X';

/** Where a parse problem was found. Check digit failures name the check digit. */
export type MrzErrorField =
  | 'mrz'
  | 'documentCode'
  | 'documentNumberCheckDigit'
  | 'dateOfBirthCheckDigit'
  | 'expiryDateCheckDigit'
  | 'personalNumberCheckDigit'
  | 'compositeCheckDigit'
  | 'dateOfBirth'
  | 'expiresOn'
  | 'sex';

export interface MrzError {
  field: MrzErrorField;
  message: string;
}

export interface MrzData {
  format: MrzFormat;
  /** Document code without fillers, e.g. `P`, `PD`, `I`, `ID`. */
  documentCode: string;
  /** Issuing state or organisation (ICAO 3-letter code, fillers removed, e.g. `D`). */
  issuingState: string;
  /** Document number with trailing fillers removed (TD1 long numbers are re-assembled). */
  documentNumber: string;
  nationality: string;
  /** `YYYY-MM-DD`; the century is inferred (see {@link parseMrz}). */
  dateOfBirth: string;
  /** `X` when the MRZ has `<` (unspecified) or `X`. */
  sex: MrzSex;
  /** `YYYY-MM-DD`, always in 2000–2099. */
  expiresOn: string;
  /** Primary identifier; `<` inside a name becomes a space. */
  surname: string;
  /** Secondary identifier(s), space separated; empty when absent. */
  givenNames: string;
  /**
   * TD3: the personal number field. TD1: the optional data of line 1 (after the end
   * of a long document number). Trailing fillers removed.
   */
  optionalData: string;
  /** TD1: the optional data of line 2 (trailing fillers removed). TD3: always empty. */
  optionalData2: string;
  /** The MRZ as parsed: upper-case lines joined with `\n`. */
  mrz: string;
}

export type MrzResult = ({ ok: true } & MrzData) | { ok: false; errors: MrzError[] };

const TD3_LINE_LENGTH = 44;
const TD1_LINE_LENGTH = 30;
const FILLER = '<';
const MRZ_CHAR = /^[A-Z0-9<]$/;
const CHECK_WEIGHTS = [7, 3, 1] as const;

function mrzCharValue(ch: string): number {
  if (ch === FILLER) return 0;
  const code = ch.charCodeAt(0);
  if (ch.length === 1 && code >= 48 && code <= 57) return code - 48;
  if (ch.length === 1 && code >= 65 && code <= 90) return code - 55;
  throw new RangeError(`Invalid MRZ character ${describeChar(ch)}`);
}

/**
 * ICAO 9303 check digit: character values (`0-9` → 0–9, `A-Z` → 10–35, `<` → 0)
 * weighted 7, 3, 1 repeating, summed, mod 10. Throws on any other character.
 */
export function computeCheckDigit(s: string): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    sum += mrzCharValue(s[i] as string) * (CHECK_WEIGHTS[i % 3] as number);
  }
  return sum % 10;
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

type Lines = { format: 'TD3'; lines: [string, string] } | { format: 'TD1'; lines: [string, string, string] };

function describeShape(lines: string[]): string {
  const n = lines.length;
  const lengths = lines.map((l) => l.length).join(', ');
  return `got ${n} line${n === 1 ? '' : 's'} of ${lengths} characters`;
}

function splitLines(raw: string): Lines | MrzError[] {
  const text = asciiUpperCase(raw.trim());
  if (text.length === 0) {
    return [{ field: 'mrz', message: 'MRZ is empty' }];
  }
  let lines = text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (lines.length === 1) {
    const only = lines[0] as string;
    if (only.length === 2 * TD3_LINE_LENGTH) {
      lines = [only.slice(0, TD3_LINE_LENGTH), only.slice(TD3_LINE_LENGTH)];
    } else if (only.length === 3 * TD1_LINE_LENGTH) {
      lines = [only.slice(0, 30), only.slice(30, 60), only.slice(60)];
    }
  }
  let shaped: Lines | undefined;
  if (lines.length === 2 && lines.every((l) => l.length === TD3_LINE_LENGTH)) {
    shaped = { format: 'TD3', lines: [lines[0] as string, lines[1] as string] };
  } else if (lines.length === 3 && lines.every((l) => l.length === TD1_LINE_LENGTH)) {
    shaped = { format: 'TD1', lines: [lines[0] as string, lines[1] as string, lines[2] as string] };
  }
  if (shaped === undefined) {
    return [
      {
        field: 'mrz',
        message: `MRZ must be 2 lines of 44 characters (passport, TD3) or 3 lines of 30 characters (ID card, TD1); ${describeShape(lines)}`,
      },
    ];
  }
  const errors: MrzError[] = [];
  shaped.lines.forEach((line, i) => {
    for (let p = 0; p < line.length; p++) {
      const ch = line[p] as string;
      if (!MRZ_CHAR.test(ch)) {
        errors.push({
          field: 'mrz',
          message: `MRZ line ${i + 1} contains the invalid character ${describeChar(ch)} at position ${p + 1}; only A-Z, 0-9 and < are allowed`,
        });
        break;
      }
    }
  });
  return errors.length > 0 ? errors : shaped;
}

function stripFillers(s: string): string {
  return s.replace(/<+$/, '');
}

function parseNames(field: string): { surname: string; givenNames: string } {
  const trimmed = stripFillers(field);
  const sep = trimmed.indexOf('<<');
  const primary = sep === -1 ? trimmed : trimmed.slice(0, sep);
  const secondary = sep === -1 ? '' : trimmed.slice(sep + 2);
  const words = (s: string) => s.split(FILLER).filter((w) => w.length > 0).join(' ');
  return { surname: words(primary), givenNames: words(secondary) };
}

type CheckField = Exclude<MrzErrorField, 'mrz' | 'documentCode' | 'dateOfBirth' | 'expiresOn' | 'sex'>;

const CHECK_LABELS: Record<CheckField, string> = {
  documentNumberCheckDigit: 'MRZ check digit for the document number',
  dateOfBirthCheckDigit: 'MRZ check digit for the date of birth',
  expiryDateCheckDigit: 'MRZ check digit for the expiry date',
  personalNumberCheckDigit: 'MRZ check digit for the personal number',
  compositeCheckDigit: 'MRZ composite check digit',
};

/** Verify one check digit; `allowFiller` accepts `<` (used when the field is empty). */
function verifyCheck(
  errors: MrzError[],
  field: CheckField,
  data: string,
  found: string,
  allowFiller = false,
): void {
  if (allowFiller && found === FILLER) return;
  const expected = String(computeCheckDigit(data));
  if (found !== expected) {
    errors.push({ field, message: `${CHECK_LABELS[field]} is wrong (expected ${expected}, found ${found})` });
  }
}

/** YYMMDD → ISO date; `century` decides the first two digits of the year from YY. */
function parseMrzDate(
  errors: MrzError[],
  field: 'dateOfBirth' | 'expiresOn',
  raw: string,
  century: (yy: number) => number,
): string {
  const label = field === 'dateOfBirth' ? 'date of birth' : 'expiry date';
  if (!/^[0-9]{6}$/.test(raw)) {
    errors.push({ field, message: `MRZ ${label} ${raw} is not a date in the form YYMMDD` });
    return '';
  }
  const yy = Number(raw.slice(0, 2));
  const year = century(yy) + yy;
  const month = Number(raw.slice(2, 4));
  const day = Number(raw.slice(4, 6));
  if (!isValidCalendarDate(year, month, day)) {
    errors.push({ field, message: `MRZ ${label} ${raw} is not a real calendar date` });
    return '';
  }
  return isoDate(year, month, day);
}

function parseSex(errors: MrzError[], ch: string): MrzSex {
  if (ch === 'M' || ch === 'F' || ch === 'X') return ch;
  if (ch === FILLER) return 'X';
  errors.push({ field: 'sex', message: `MRZ sex must be M, F or < (unspecified), found ${describeChar(ch)}` });
  return 'X';
}

function checkDocumentCode(errors: MrzError[], format: MrzFormat, code: string): void {
  const first = code[0] ?? FILLER;
  if (format === 'TD3' && first !== 'P') {
    errors.push({
      field: 'documentCode',
      message: `MRZ document code ${describeChar(code)} is not a passport code; a 2-line (TD3) MRZ must start with P`,
    });
  } else if (format === 'TD1' && first !== 'I' && first !== 'A' && first !== 'C') {
    errors.push({
      field: 'documentCode',
      message: `MRZ document code ${describeChar(code)} is not an ID card code; a 3-line (TD1) MRZ must start with I, A or C`,
    });
  }
}

function parseTd3(l1: string, l2: string, now: Date): MrzResult {
  const errors: MrzError[] = [];
  const documentCode = l1.slice(0, 2);
  checkDocumentCode(errors, 'TD3', documentCode);

  const documentNumberField = l2.slice(0, 9);
  verifyCheck(errors, 'documentNumberCheckDigit', documentNumberField, l2[9] as string);

  const birthField = l2.slice(13, 19);
  const dateOfBirth = parseMrzDate(errors, 'dateOfBirth', birthField, birthCentury(now));
  verifyCheck(errors, 'dateOfBirthCheckDigit', birthField, l2[19] as string);

  const sex = parseSex(errors, l2[20] as string);

  const expiryField = l2.slice(21, 27);
  const expiresOn = parseMrzDate(errors, 'expiresOn', expiryField, () => 2000);
  verifyCheck(errors, 'expiryDateCheckDigit', expiryField, l2[27] as string);

  const personalNumberField = l2.slice(28, 42);
  const personalNumberEmpty = /^<+$/.test(personalNumberField);
  verifyCheck(errors, 'personalNumberCheckDigit', personalNumberField, l2[42] as string, personalNumberEmpty);

  verifyCheck(errors, 'compositeCheckDigit', l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, 43), l2[43] as string);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    format: 'TD3',
    documentCode: stripFillers(documentCode),
    issuingState: stripFillers(l1.slice(2, 5)),
    documentNumber: stripFillers(documentNumberField),
    nationality: stripFillers(l2.slice(10, 13)),
    dateOfBirth,
    sex,
    expiresOn,
    ...parseNames(l1.slice(5)),
    optionalData: stripFillers(personalNumberField),
    optionalData2: '',
    mrz: `${l1}\n${l2}`,
  };
}

function parseTd1(l1: string, l2: string, l3: string, now: Date): MrzResult {
  const errors: MrzError[] = [];
  const documentCode = l1.slice(0, 2);
  checkDocumentCode(errors, 'TD1', documentCode);

  const principal = l1.slice(5, 14);
  const principalCheck = l1[14] as string;
  const optional1 = l1.slice(15, 30);
  let documentNumber: string;
  let optionalData: string;
  if (principalCheck === FILLER && optional1[0] !== FILLER) {
    // Long document number (Doc 9303 Part 5, 4.2.4): the rest of the number, its check
    // digit and a filler continue at the start of the optional data.
    const end = optional1.indexOf(FILLER);
    const stop = end === -1 ? optional1.length : end;
    const extension = optional1.slice(0, stop - 1);
    const check = optional1[stop - 1] as string;
    documentNumber = stripFillers(principal) + extension;
    verifyCheck(errors, 'documentNumberCheckDigit', documentNumber, check);
    optionalData = stripFillers(optional1.slice(stop + 1));
  } else if (principalCheck === FILLER) {
    documentNumber = stripFillers(principal);
    errors.push({
      field: 'documentNumberCheckDigit',
      message: `${CHECK_LABELS.documentNumberCheckDigit} is missing (found < and no long document number in the optional data)`,
    });
    optionalData = stripFillers(optional1);
  } else {
    documentNumber = stripFillers(principal);
    verifyCheck(errors, 'documentNumberCheckDigit', principal, principalCheck);
    optionalData = stripFillers(optional1);
  }

  const birthField = l2.slice(0, 6);
  const dateOfBirth = parseMrzDate(errors, 'dateOfBirth', birthField, birthCentury(now));
  verifyCheck(errors, 'dateOfBirthCheckDigit', birthField, l2[6] as string);

  const sex = parseSex(errors, l2[7] as string);

  const expiryField = l2.slice(8, 14);
  const expiresOn = parseMrzDate(errors, 'expiresOn', expiryField, () => 2000);
  verifyCheck(errors, 'expiryDateCheckDigit', expiryField, l2[14] as string);

  verifyCheck(
    errors,
    'compositeCheckDigit',
    l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29),
    l2[29] as string,
  );

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    format: 'TD1',
    documentCode: stripFillers(documentCode),
    issuingState: stripFillers(l1.slice(2, 5)),
    documentNumber,
    nationality: stripFillers(l2.slice(15, 18)),
    dateOfBirth,
    sex,
    expiresOn,
    ...parseNames(l3),
    optionalData,
    optionalData2: stripFillers(l2.slice(18, 29)),
    mrz: `${l1}\n${l2}\n${l3}`,
  };
}

/** Birth-year century: YY after this year's YY is last century (19YY), otherwise 20YY. */
function birthCentury(now: Date): (yy: number) => number {
  const currentYy = yearAtBorder(now) % 100;
  return (yy) => (yy > currentYy ? 1900 : 2000);
}

/**
 * Parse and verify a TD3 or TD1 MRZ.
 *
 * Input: the lines separated by `\n` or `\r\n` (or the 88/90 characters run together),
 * surrounding whitespace ignored, any case. Every failed check digit is reported, each
 * naming its field; shape and charset problems are reported on the field `mrz`.
 *
 * Dates of birth take the century from `now` (YY greater than the current YY → 19YY);
 * expiry dates are always 20YY.
 */
export function parseMrz(raw: string, now: Date = new Date()): MrzResult {
  if (typeof raw !== 'string') {
    return { ok: false, errors: [{ field: 'mrz', message: 'MRZ must be a string' }] };
  }
  const shaped = splitLines(raw);
  if (Array.isArray(shaped)) return { ok: false, errors: shaped };
  return shaped.format === 'TD3'
    ? parseTd3(shaped.lines[0], shaped.lines[1], now)
    : parseTd1(shaped.lines[0], shaped.lines[1], shaped.lines[2], now);
}

// ---------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------

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
