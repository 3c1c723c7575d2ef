// Parsing an ICAO 9303 MRZ: TD3 (2 × 44) and TD1 (3 × 30), with every check digit verified.
import { isValidCalendarDate, isoDate, yearAtBorder } from './dates.js';
import {
  computeCheckDigit,
  FILLER,
  MRZ_CHAR,
  type MrzError,
  type MrzErrorField,
  type MrzFormat,
  type MrzResult,
  type MrzSex,
  TD1_LINE_LENGTH,
  TD3_LINE_LENGTH,
} from './mrz-core.js';
import { asciiUpperCase, describeChar } from './normalize.js';

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
