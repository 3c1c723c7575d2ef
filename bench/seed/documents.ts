// Identity documents: valid check characters, numbers unique by construction (a counter per kind
// scrambled by a bijection), so the unique indexes can be built after the load without a collision.
import { computeHkidCheckCharacter, computePrcIdCheckCharacter, type DocumentKind, validateDocumentNumber } from '../../src/domain/documents/index.js';
import { dayOf, dayString, type Rng } from './random.js';

export interface DocSpec {
  kind: DocumentKind;
  number: string;
  issuingCountry: string;
}

/** Region codes (first six digits) of PRC resident identity numbers: Shenzhen districts and a few other cities. */
const PRC_REGIONS = [
  '440303', '440304', '440305', '440306', '440307', '440308', '440309', '440310', '440311', '440106', '440104', '110101',
  '110108', '310104', '310115', '320102', '330106', '350203', '370202', '420106', '430102', '510107', '610113', '230103',
] as const;
/** Birth dates of PRC ID holders: 1960-01-01 … 2003-12-31. */
const PRC_FIRST_DAY = dayOf('1960-01-01');
const PRC_DAYS = dayOf('2003-12-31') - PRC_FIRST_DAY + 1;
const HK_MACAO_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Passport number prefixes per issuing state (followed by seven digits from a global counter). */
const PASSPORT_PREFIX: Readonly<Record<string, (rng: Rng) => string>> = {
  CHN: (r) => `E${r.pick([...HK_MACAO_LETTERS])}`,
  HKG: (r) => `K${r.int(10)}`,
  GBR: (r) => String(r.between(10, 99)),
  USA: (r) => String(r.between(50, 69)),
  AUS: (r) => `P${r.pick([...UPPER])}`,
  CAN: (r) => `${r.pick([...UPPER])}${r.pick([...UPPER])}`,
  DEU: (r) => `C${r.pick([...HK_MACAO_LETTERS])}`,
  FRA: (r) => String(r.between(10, 29)),
  JPN: (r) => `T${r.pick([...UPPER])}`,
  KOR: (r) => `M${r.int(10)}`,
  IND: (r) => r.pick([...UPPER]),
  SGP: () => 'K',
  MYS: (r) => `A${r.int(10)}`,
  NLD: (r) => `N${r.pick([...UPPER])}`,
  ITA: (r) => `Y${r.pick([...UPPER])}`,
  RUS: (r) => String(r.between(70, 79)),
};

/**
 * Hands out unique, valid document numbers: a counter per kind mapped through a
 * bijection of the number space, so numbers look scattered but never repeat.
 */
export class DocumentFactory {
  private hkid = 0;
  private hkMacao = 0;
  private homeReturn = 0;
  private passport = 0;
  /** Uses of each (region, birth day) for PRC IDs: the 3-digit sequence is derived from it. */
  private prcUses = new Uint16Array(PRC_REGIONS.length * PRC_DAYS);

  constructor(private readonly rng: Rng) {}

  /** A PRC ID and the birth date it encodes (the holder's date of birth). */
  prcId(): { doc: DocSpec; dateOfBirth: string } {
    for (;;) {
      const region = this.rng.int(PRC_REGIONS.length);
      const day = this.rng.int(PRC_DAYS);
      const slot = region * PRC_DAYS + day;
      const used = this.prcUses[slot]!;
      if (used >= 499) continue;
      this.prcUses[slot] = used + 1;
      const seq = used * 2 + this.rng.int(2); // odd for men, even for women
      const dateOfBirth = dayString(PRC_FIRST_DAY + day);
      const body = `${PRC_REGIONS[region]}${dateOfBirth.replace(/-/g, '')}${String(seq).padStart(3, '0')}`;
      return { doc: { kind: 'prc_id', number: body + computePrcIdCheckCharacter(body), issuingCountry: 'CHN' }, dateOfBirth };
    }
  }

  hkidNumber(): DocSpec {
    // 26 letters × 10^6 digits; 7,919,011 is coprime with 26,000,000.
    const x = (this.hkid++ * 7_919_011 + 1_234_567) % 26_000_000;
    const body = `${UPPER[Math.floor(x / 1_000_000)]}${String(x % 1_000_000).padStart(6, '0')}`;
    return { kind: 'hkid', number: body + computeHkidCheckCharacter(body), issuingCountry: 'HKG' };
  }

  hkMacaoPermit(): DocSpec {
    const k = this.hkMacao++;
    const half = Math.floor(k / 2);
    let number: string;
    if (k % 2 === 0) {
      // Electronic card: C + a letter other than I and O + 7 digits (24 × 10^7 numbers).
      const x = (half * 48_271 + 777) % 240_000_000;
      number = `C${HK_MACAO_LETTERS[Math.floor(x / 10_000_000)]}${String(x % 10_000_000).padStart(7, '0')}`;
    } else {
      const x = (half * 48_271 + 4_242) % 100_000_000;
      number = `C${String(x).padStart(8, '0')}`;
    }
    return { kind: 'hk_macao_permit', number, issuingCountry: 'CHN' };
  }

  homeReturnPermit(macao: boolean): DocSpec {
    const x = (this.homeReturn++ * 69_621 + 31_337) % 100_000_000;
    return { kind: 'home_return_permit', number: `${macao ? 'M' : 'H'}${String(x).padStart(8, '0')}`, issuingCountry: 'CHN' };
  }

  /** Passport numbers are unique across every issuing state (seven digits from one counter). */
  passportOf(country: string): DocSpec {
    const x = (this.passport++ * 7_654_321 + 99_991) % 10_000_000;
    const prefix = (PASSPORT_PREFIX[country] ?? ((r: Rng) => r.pick([...UPPER])))(this.rng);
    const digits = String(x).padStart(7, '0');
    const number = country === 'SGP' ? `${prefix}${digits}${this.rng.pick([...UPPER])}` : `${prefix}${digits}`;
    return { kind: 'passport', number, issuingCountry: country };
  }
}

/** Self-check of a generated document with the service's own validators (used on a sample). */
export function assertValidDocument(d: DocSpec): void {
  const v = validateDocumentNumber(d.kind, d.number);
  if (!v.ok || v.normalized !== d.number) {
    throw new Error(`synthetic-data generated an invalid ${d.kind} number ${d.number}: ${v.ok ? 'not normalised' : v.message}`);
  }
}
