import type { FieldError } from '../../errors.js';
import type { DocumentInput, ResearcherInput } from './schemas.js';

/**
 * Checks that zod cannot make on its own: those that need the clock (today at the
 * border, UTC+08:00) or compare fields. Paths are relative to the researcher body.
 */

/** Passport numbers are unique per issuing country; every other kind has one issuer. */
export function countryKeyOf(kind: DocumentInput['kind'], issuingCountry: string): string {
  return kind === 'passport' ? issuingCountry : '';
}

export function documentKey(doc: { kind: string; number: string; countryKey: string }): string {
  return `${doc.kind}\u0000${doc.number}\u0000${doc.countryKey}`;
}

/** The birth date a PRC resident ID number carries (positions 7–14), as YYYY-MM-DD. */
export function prcIdBirthDate(normalized: string): string {
  return `${normalized.slice(6, 10)}-${normalized.slice(10, 12)}-${normalized.slice(12, 14)}`;
}

export function checkDocument(doc: DocumentInput, today: string, dateOfBirth: string | undefined, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  if (doc.expiresOn < today) {
    errors.push({ path: `${prefix}expiresOn`, message: 'the document has expired; register a valid one' });
  }
  if (doc.kind === 'prc_id' && dateOfBirth !== undefined && prcIdBirthDate(doc.number) !== dateOfBirth) {
    errors.push({ path: `${prefix}number`, message: 'the birth date inside this PRC ID number does not match dateOfBirth' });
  }
  return errors;
}

export function checkDateOfBirth(dateOfBirth: string, today: string, path = 'dateOfBirth'): FieldError[] {
  return dateOfBirth > today ? [{ path, message: 'is in the future' }] : [];
}

/** Everything about a new researcher that depends on the clock or on several fields. */
export function checkResearcher(body: ResearcherInput, today: string): FieldError[] {
  const errors = checkDateOfBirth(body.dateOfBirth, today);
  const seen = new Map<string, number>();
  body.documents.forEach((doc, i) => {
    errors.push(...checkDocument(doc, today, body.dateOfBirth, `documents.${i}.`));
    const key = documentKey({ ...doc, countryKey: countryKeyOf(doc.kind, doc.issuingCountry) });
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ path: `documents.${i}.number`, message: `is the same document as documents.${first}` });
    } else {
      seen.set(key, i);
    }
  });
  return errors;
}
