import type { ValidationResult } from './types.js';
import { normalizeDocumentInput } from './normalize.js';

const HKID_PATTERN = /^([A-Z]{1,2})([0-9]{6})([0-9A])$/;
const WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2] as const;
/** Value of the implicit leading space in a one-letter HKID. */
const SPACE_VALUE = 36;

function charValue(ch: string): number {
  if (ch === ' ') return SPACE_VALUE;
  const code = ch.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 90) return code - 55; // A=10 … Z=35
  throw new RangeError(`Invalid HKID character ${JSON.stringify(ch)}`);
}

/**
 * Check character for an HKID body (1–2 letters + 6 digits, without the check),
 * e.g. `A123456` → `'3'`, `G123456` → `'A'`.
 */
export function computeHkidCheckCharacter(body: string): string {
  if (!/^[A-Z]{1,2}[0-9]{6}$/.test(body)) {
    throw new RangeError(`Not an HKID body (1-2 letters + 6 digits): ${JSON.stringify(body)}`);
  }
  const padded = body.length === 7 ? ` ${body}` : body;
  let sum = 0;
  for (let i = 0; i < WEIGHTS.length; i++) {
    sum += charValue(padded[i] as string) * (WEIGHTS[i] as number);
  }
  const check = 11 - (sum % 11);
  if (check === 11) return '0';
  if (check === 10) return 'A';
  return String(check);
}

/**
 * Hong Kong identity card number: 1–2 letters, 6 digits and a check character
 * (`0-9` or `A`), usually written `A123456(3)`. Normalised without brackets: `A1234563`.
 */
export function validateHkid(raw: string): ValidationResult {
  const normalized = normalizeDocumentInput(raw);
  if (normalized.length === 0) {
    return { ok: false, message: 'HKID number is empty' };
  }
  const m = HKID_PATTERN.exec(normalized);
  const badCheck = /^([A-Z]{1,2}[0-9]{6})([B-Z])$/.exec(normalized);
  if (badCheck) {
    const expected = computeHkidCheckCharacter(badCheck[1] as string);
    return {
      ok: false,
      message: `HKID check character must be a digit or A, not ${badCheck[2]}: expected ${expected}`,
    };
  }
  if (!m) {
    return {
      ok: false,
      message:
        'HKID number must be 1 or 2 letters, 6 digits and a check character (0-9 or A), e.g. A123456(3)',
    };
  }
  const body = `${m[1]}${m[2]}`;
  const expected = computeHkidCheckCharacter(body);
  if (m[3] !== expected) {
    return { ok: false, message: `HKID check digit is wrong: expected ${expected}` };
  }
  return { ok: true, normalized };
}
