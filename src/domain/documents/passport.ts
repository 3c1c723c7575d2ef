import type { ValidationResult } from './types.js';
import { describeChar, firstInvalidChar, normalizeDocumentInput } from './normalize.js';

/** Longest passport number an ICAO TD3 MRZ can carry without an extension. */
export const PASSPORT_NUMBER_MAX_LENGTH = 9;

/**
 * Passport numbers: after normalisation, 1–9 characters of `A-Z0-9`.
 * The MRZ filler `<` is rejected: it is padding, not part of the number.
 */
export function validatePassportNumber(raw: string): ValidationResult {
  const normalized = normalizeDocumentInput(raw);
  if (normalized.length === 0) {
    return { ok: false, message: 'Passport number is empty' };
  }
  const bad = firstInvalidChar(normalized, /^[A-Z0-9]$/);
  if (bad !== undefined) {
    const hint = bad === '<' ? ' (remove the MRZ filler characters)' : '';
    return {
      ok: false,
      message: `Passport number may only contain letters A-Z and digits 0-9, but contains ${describeChar(bad)}${hint}`,
    };
  }
  if (normalized.length > PASSPORT_NUMBER_MAX_LENGTH) {
    return {
      ok: false,
      message: `Passport number is too long: at most ${PASSPORT_NUMBER_MAX_LENGTH} characters, got ${normalized.length}`,
    };
  }
  return { ok: true, normalized };
}
