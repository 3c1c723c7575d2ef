import { randomBytes } from 'node:crypto';
import { computeHkidCheckCharacter } from '../../src/domain/documents/hkid.js';
import { computePrcIdCheckCharacter } from '../../src/domain/documents/prc-id.js';

/** The CSV header of the bulk import. */
export const IMPORT_HEADER = 'fullName,nameZh,dateOfBirth,nationality,email,documentKind,documentNumber,issuingCountry,expiresOn';

/** 0 → AAAAA, 12 → AAABC: digits as letters, since a fullName is Latin letters only. */
export const letters = (n: number, width = 6): string => Array.from(String(n).padStart(width, '0'), (d) => 'ABCDEFGHIJ'[Number(d)]).join('');

/** A prefix that no other test process is using: two letters from random bytes. */
export function uniquePrefix(): string {
  const b = randomBytes(2);
  return String.fromCharCode(65 + (b[0]! % 26)) + String.fromCharCode(65 + (b[1]! % 26));
}

/**
 * A CSV of `rows` valid nominations, one passport each: numbers `<prefix><7 digits>`
 * (9 characters), unique within the file and, with a fresh prefix, on the whitelist.
 */
export function importCsv(rows: number, prefix = uniquePrefix(), offset = 0): { text: string; passports: string[] } {
  const lines = [IMPORT_HEADER];
  const passports: string[] = [];
  for (let i = offset; i < offset + rows; i++) {
    const passport = `${prefix}${String(i).padStart(7, '0')}`;
    passports.push(passport);
    lines.push(`RESEARCHER ${letters(i)},研究员,1980-01-01,GBR,r${i}.${prefix.toLowerCase()}@bulk.example.ac.uk,passport,${passport},GBR,2036-06-30`);
  }
  return { text: lines.join('\r\n'), passports };
}

/** A valid HKID: one letter and six digits with the computed check character. */
export function validHkid(n: number, prefix = 'Y'): string {
  const body = `${prefix}${String(n % 1_000_000).padStart(6, '0')}`;
  return `${body}${computeHkidCheckCharacter(body)}`;
}

/** A valid PRC resident ID for a birth date (YYYY-MM-DD): a Beijing area code, a sequence, the check character. */
export function validPrcId(dateOfBirth: string, seq: number): string {
  const body = `110105${dateOfBirth.replace(/-/g, '')}${String(seq % 1000).padStart(3, '0')}`;
  return `${body}${computePrcIdCheckCharacter(body)}`;
}

/** A unique passport number: a letter and 8 digits. */
export function randomPassport(letter = 'E'): string {
  return `${letter}${String(randomBytes(4).readUInt32BE(0) % 100_000_000).padStart(8, '0')}`;
}
