// The MRZ's shapes, its alphabet and the ICAO 9303 check digit, shared by the parser and the builders.
import { describeChar } from './normalize.js';

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

export const TD3_LINE_LENGTH = 44;
export const TD1_LINE_LENGTH = 30;
export const FILLER = '<';
export const MRZ_CHAR = /^[A-Z0-9<]$/;
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
