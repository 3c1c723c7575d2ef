import type { MrzFacts } from '../../domain/decision/types.js';
import { type DocumentKind, parseMrz, validateDocumentNumber } from '../../domain/documents/index.js';
import { ValidationError } from '../../errors.js';
import type { DocumentQuery, TravellerCard } from './queries.js';

export interface TravellerRef {
  document?: { kind: string; number: string; issuingCountry?: string | undefined } | undefined;
  mrz?: string | undefined;
}

export interface Identification {
  query: DocumentQuery;
  mrz: MrzFacts | null;
  /** What to record of the document without writing the number into logs. */
  kind: string;
  number: string;
}

/**
 * Turns what the officer typed or scanned into a document query: the number is
 * validated and normalised as on registration, an MRZ has every check digit verified.
 */
export function identify(ref: TravellerRef, pathPrefix: string, now: Date): Identification {
  if (ref.document) {
    const v = validateDocumentNumber(ref.document.kind as DocumentKind, ref.document.number);
    if (!v.ok) throw new ValidationError([{ path: `${pathPrefix}document.number`, message: v.message }]);
    return {
      query: { by: 'document', kind: ref.document.kind, number: v.normalized, issuingCountry: ref.document.issuingCountry },
      mrz: null,
      kind: ref.document.kind,
      number: v.normalized,
    };
  }
  const parsed = parseMrz(ref.mrz ?? '', now);
  if (!parsed.ok) {
    throw new ValidationError(
      parsed.errors.map((e) => ({ path: `${pathPrefix}mrz.${e.field}`, message: e.message })),
      `The MRZ is not valid: ${parsed.errors.map((e) => e.message).join('; ')}`,
    );
  }
  const passportOnly = parsed.format === 'TD3' || parsed.documentCode.startsWith('P');
  return {
    query: { by: 'mrz', number: parsed.documentNumber, issuingState: parsed.issuingState, passportOnly },
    mrz: { dateOfBirth: parsed.dateOfBirth, nationality: parsed.nationality, expiresOn: parsed.expiresOn },
    kind: passportOnly ? 'passport' : 'mrz_td1',
    number: parsed.documentNumber,
  };
}

/** The one traveller that holds the document; several (a passport number issued by two countries) need the country. */
export function onlyTraveller(found: TravellerCard[], pathPrefix: string): TravellerCard | null {
  if (found.length > 1) {
    throw new ValidationError(
      [{ path: `${pathPrefix}document.issuingCountry`, message: 'the same passport number exists for several countries: give issuingCountry' }],
      'More than one whitelisted document has this number',
    );
  }
  return found[0] ?? null;
}

/** Masks a document number for the audit log: kind and the last four characters. */
export function maskedNumber(n: string): string {
  return n.length <= 4 ? '*'.repeat(n.length) : `${'*'.repeat(n.length - 4)}${n.slice(-4)}`;
}
