import type { ValidationResult } from './types.js';
import { toHalfWidth } from './normalize.js';

/**
 * Harmonized System commodity code: 6 to 10 digits once dots and whitespace are removed
 * (`8471.30` → `847130`, `8471.30.00 10` → `8471300010`).
 */
export function validateHsCode(raw: string): ValidationResult {
  const normalized = toHalfWidth(raw).replace(/[\s.]/g, '');
  if (normalized.length === 0) {
    return { ok: false, message: 'HS code is empty' };
  }
  if (!/^[0-9]+$/.test(normalized)) {
    return { ok: false, message: 'HS code may only contain digits, dots and spaces' };
  }
  if (normalized.length < 6) {
    return {
      ok: false,
      message: `HS code is too short: at least 6 digits (chapter, heading and subheading), got ${normalized.length}`,
    };
  }
  if (normalized.length > 10) {
    return { ok: false, message: `HS code is too long: at most 10 digits, got ${normalized.length}` };
  }
  return { ok: true, normalized };
}
