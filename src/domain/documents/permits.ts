import type { ValidationResult } from './types.js';
import { normalizeDocumentInput } from './normalize.js';

/** `C` + 8 digits (older booklet-style numbering). */
const HK_MACAO_DIGITS = /^C[0-9]{8}$/;
/** `C` + a letter other than I and O + 7 digits (electronic card numbering). */
const HK_MACAO_LETTER = /^C[A-HJ-NP-Z][0-9]{7}$/;

/**
 * Exit-Entry Permit for Travelling to and from Hong Kong and Macao (往来港澳通行证):
 * `C` + 8 digits, or `C` + a letter other than I/O + 7 digits. There is no check digit.
 */
export function validateHkMacaoPermit(raw: string): ValidationResult {
  const normalized = normalizeDocumentInput(raw);
  if (normalized.length === 0) {
    return { ok: false, message: 'Hong Kong and Macao permit number is empty' };
  }
  if (HK_MACAO_DIGITS.test(normalized) || HK_MACAO_LETTER.test(normalized)) {
    return { ok: true, normalized };
  }
  if (/^C[IO][0-9]{7}$/.test(normalized)) {
    return {
      ok: false,
      message: `Hong Kong and Macao permit number cannot have the letter ${normalized[1]} after the C (I and O are not used)`,
    };
  }
  return {
    ok: false,
    message:
      'Hong Kong and Macao permit number must be C followed by 8 digits, or C, a letter and 7 digits (e.g. C12345678 or CA1234567)',
  };
}

/**
 * Mainland Travel Permit for Hong Kong and Macao Residents (回乡证 / home return permit):
 * `H` (Hong Kong) or `M` (Macao) + 8 digits. The older booklet form appends a 2-digit
 * renewal count (`H1234567801`); it is dropped so that renewals normalise to the same
 * holder number (`H12345678`).
 */
export function validateHomeReturnPermit(raw: string): ValidationResult {
  const normalized = normalizeDocumentInput(raw);
  if (normalized.length === 0) {
    return { ok: false, message: 'Home return permit number is empty' };
  }
  const m = /^([HM][0-9]{8})([0-9]{2})?$/.exec(normalized);
  if (m) {
    return { ok: true, normalized: m[1] as string };
  }
  if (/^[^HM]/.test(normalized)) {
    return {
      ok: false,
      message: 'Home return permit number must start with H (Hong Kong) or M (Macao)',
    };
  }
  return {
    ok: false,
    message:
      'Home return permit number must be H or M followed by 8 digits, optionally with a 2-digit renewal count (e.g. H12345678 or H1234567801)',
  };
}
