import type { ValidationResult } from './types.js';
import { toHalfWidth } from './normalize.js';

const CAS_PATTERN = /^([0-9]{2,7})-([0-9]{2})-([0-9])$/;

/**
 * Check digit of a CAS Registry Number from its digits without the check digit
 * (e.g. `773218` for water): digits weighted 1, 2, 3 … from the right, sum mod 10.
 */
export function computeCasCheckDigit(digits: string): number {
  if (!/^[0-9]+$/.test(digits)) {
    throw new RangeError(`CAS digits must be 0-9: ${JSON.stringify(digits)}`);
  }
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    sum += (digits.charCodeAt(digits.length - 1 - i) - 48) * (i + 1);
  }
  return sum % 10;
}

/**
 * CAS Registry Number in its hyphenated form `NNNNNNN-NN-N` (2–7 digits, 2 digits,
 * check digit). Surrounding whitespace is trimmed; the hyphens are required.
 * Zero-padded first groups (`0007732-18-5`, as in some fixed-width exports) are
 * normalised to the canonical form `7732-18-5`; leading zeros do not change the check.
 */
export function validateCasNumber(raw: string): ValidationResult {
  const input = toHalfWidth(raw).trim();
  if (input.length === 0) {
    return { ok: false, message: 'CAS number is empty' };
  }
  const m = CAS_PATTERN.exec(input);
  if (!m) {
    if (/^[0-9]{5,10}$/.test(input)) {
      return {
        ok: false,
        message: 'CAS number must be written with hyphens, e.g. 7732-18-5',
      };
    }
    return {
      ok: false,
      message: 'CAS number must be 2 to 7 digits, a hyphen, 2 digits, a hyphen and a check digit, e.g. 7732-18-5',
    };
  }
  const first = (m[1] as string).replace(/^0+/, '');
  if (first.length < 2) {
    return { ok: false, message: 'CAS number must have at least 2 significant digits before the first hyphen' };
  }
  const group2 = m[2] as string;
  const check = Number(m[3]);
  const expected = computeCasCheckDigit(first + group2);
  if (check !== expected) {
    return { ok: false, message: `CAS check digit is wrong: expected ${expected}` };
  }
  return { ok: true, normalized: `${first}-${group2}-${check}` };
}
