import type { ValidationResult } from './types.js';
import { normalizeDocumentInput } from './normalize.js';
import { isValidCalendarDate, isoDate, todayAtBorder } from './dates.js';

/** ISO 7064 MOD 11-2 weights for the 17 body digits (2^(17-i) mod 11). */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** Check character indexed by (weighted sum mod 11). */
const CHECK_CHARS = '10X98765432';
/** Earliest birth date accepted on an 18-character resident identity card. */
const EARLIEST_BIRTH_DATE = '1900-01-01';

/** Check character (`0-9` or `X`) for the 17-digit body of a PRC resident identity number. */
export function computePrcIdCheckCharacter(body17: string): string {
  if (!/^[0-9]{17}$/.test(body17)) {
    throw new RangeError(`Not a 17-digit PRC ID body: ${JSON.stringify(body17)}`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += (body17.charCodeAt(i) - 48) * (WEIGHTS[i] as number);
  }
  return CHECK_CHARS[sum % 11] as string;
}

/** Birth date parts from positions 7–14 (1-based) of a normalised number, if it is a real date. */
function birthDateParts(normalized: string): { year: number; month: number; day: number; raw: string } {
  const raw = normalized.slice(6, 14);
  return { year: Number(raw.slice(0, 4)), month: Number(raw.slice(4, 6)), day: Number(raw.slice(6, 8)), raw };
}

/**
 * PRC resident identity card number (GB 11643): 17 digits and a check character
 * (digit or `X`, ISO 7064 MOD 11-2), with a real birth date (YYYYMMDD, positions 7–14)
 * between 1900-01-01 and today (China Standard Time). Lower-case `x` is accepted and
 * normalised to `X`. The old 15-digit form is rejected.
 */
export function validatePrcId(raw: string, now: Date = new Date()): ValidationResult {
  const normalized = normalizeDocumentInput(raw);
  if (normalized.length === 0) {
    return { ok: false, message: 'PRC ID number is empty' };
  }
  if (/^[0-9]{15}$/.test(normalized)) {
    return {
      ok: false,
      message: 'PRC ID number is in the old 15-digit form; only the 18-character form is accepted',
    };
  }
  if (normalized.length !== 18) {
    return {
      ok: false,
      message: `PRC ID number must be 18 characters, got ${normalized.length}`,
    };
  }
  if (!/^[0-9]{17}[0-9X]$/.test(normalized)) {
    return {
      ok: false,
      message: 'PRC ID number must be 17 digits followed by a digit or X',
    };
  }
  const { year, month, day, raw: rawDate } = birthDateParts(normalized);
  if (!isValidCalendarDate(year, month, day)) {
    return { ok: false, message: `PRC ID birth date ${rawDate} is not a real calendar date` };
  }
  const birth = isoDate(year, month, day);
  if (birth < EARLIEST_BIRTH_DATE) {
    return { ok: false, message: `PRC ID birth date ${birth} is before 1900` };
  }
  if (birth > todayAtBorder(now)) {
    return { ok: false, message: `PRC ID birth date ${birth} is in the future` };
  }
  const expected = computePrcIdCheckCharacter(normalized.slice(0, 17));
  if (normalized[17] !== expected) {
    return { ok: false, message: `PRC ID check character is wrong: expected ${expected}` };
  }
  return { ok: true, normalized };
}

/**
 * Birth date (`YYYY-MM-DD`) of a normalised 18-character PRC ID number.
 * Throws a RangeError when the input is not in that form or the date is not a real date;
 * run {@link validatePrcId} first.
 */
export function prcIdBirthDate(normalized: string): string {
  if (!/^[0-9]{17}[0-9X]$/.test(normalized)) {
    throw new RangeError(`Not a normalised 18-character PRC ID number: ${JSON.stringify(normalized)}`);
  }
  const { year, month, day, raw } = birthDateParts(normalized);
  if (!isValidCalendarDate(year, month, day)) {
    throw new RangeError(`PRC ID birth date ${raw} is not a real calendar date`);
  }
  return isoDate(year, month, day);
}
