import {
  computeHkidCheckCharacter,
  computePrcIdCheckCharacter,
  validateCasNumber,
  validateDocumentNumber,
  validateHsCode,
  type DocumentKind,
} from '../domain/documents/index.js';

/**
 * Pools and generators of the synthetic whitelist (seed-synthetic): deterministic for
 * a given seed, with valid check characters and numbers that are unique by
 * construction (a counter per document kind, scrambled by a bijection), so that the
 * unique indexes can be built after the load without a collision.
 */

// ---- random numbers ---------------------------------------------------------------

/** sfc32: small, fast, seedable; the dataset is the same for the same seed. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** [0, 1) */
  float(): number {
    return this.u32() / 4_294_967_296;
  }
  /** [0, n) */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** [lo, hi] */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }
  /** Picks by weight from `[value, weight]` pairs. */
  weighted<T>(table: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of table) total += w;
    let x = this.float() * total;
    for (const [v, w] of table) {
      x -= w;
      if (x < 0) return v;
    }
    return table[table.length - 1]![0];
  }
  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, chars);
  }
}

/** UUID v7 (time-ordered) ids from a synthetic clock: B-tree inserts stay at the right edge. */
export class IdGen {
  private seq = 0;
  constructor(
    private readonly rng: Rng,
    private ms: number,
  ) {}
  next(): string {
    if (++this.seq >= 4096) {
      this.seq = 0;
      this.ms += 1;
    }
    return uuid7(this.ms, this.seq, this.rng);
  }
}

export function uuid7(ms: number, seq: number, rng: Rng): string {
  const t = ms.toString(16).padStart(12, '0');
  const r1 = rng.u32();
  const r2 = rng.u32();
  return (
    `${t.slice(0, 8)}-${t.slice(8, 12)}-${(0x7000 | (seq & 0xfff)).toString(16)}-` +
    `${(0x8000 | (r1 & 0x3fff)).toString(16)}-${r2.toString(16).padStart(8, '0')}${((r1 >>> 16) & 0xffff).toString(16).padStart(4, '0')}`
  );
}

// ---- dates ------------------------------------------------------------------------

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 → 'YYYY-MM-DD', memoised (the generator asks for the same few thousand days). */
const dayCache = new Map<number, string>();
export function dayString(day: number): string {
  let s = dayCache.get(day);
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dayCache.set(day, s);
  }
  return s;
}

export function dayOf(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

// ---- people -----------------------------------------------------------------------

/** [pinyin, hanzi] */
const MAINLAND_SURNAMES: readonly (readonly [string, string])[] = [
  ['WANG', '王'], ['LI', '李'], ['ZHANG', '张'], ['LIU', '刘'], ['CHEN', '陈'], ['YANG', '杨'], ['HUANG', '黄'],
  ['ZHAO', '赵'], ['WU', '吴'], ['ZHOU', '周'], ['XU', '徐'], ['SUN', '孙'], ['MA', '马'], ['ZHU', '朱'], ['HU', '胡'],
  ['GUO', '郭'], ['HE', '何'], ['LIN', '林'], ['LUO', '罗'], ['GAO', '高'], ['ZHENG', '郑'], ['LIANG', '梁'], ['XIE', '谢'],
  ['TANG', '唐'], ['SONG', '宋'], ['DENG', '邓'], ['FENG', '冯'], ['HAN', '韩'], ['CAO', '曹'], ['PENG', '彭'], ['ZENG', '曾'],
  ['XIAO', '肖'], ['TIAN', '田'], ['DONG', '董'], ['PAN', '潘'], ['YUAN', '袁'], ['CAI', '蔡'], ['JIANG', '蒋'], ['YU', '余'],
  ['DU', '杜'], ['YE', '叶'], ['CHENG', '程'], ['WEI', '魏'], ['SU', '苏'], ['LYU', '吕'], ['DING', '丁'], ['REN', '任'],
  ['SHEN', '沈'], ['YAO', '姚'], ['LU', '卢'], ['JIN', '金'], ['FAN', '范'], ['FANG', '方'], ['SHI', '石'], ['QIN', '秦'],
];
const MAINLAND_GIVEN: readonly (readonly [string, string])[] = [
  ['WEI', '伟'], ['FANG', '芳'], ['NA', '娜'], ['MIN', '敏'], ['JING', '静'], ['LI', '丽'], ['QIANG', '强'], ['LEI', '磊'],
  ['JUN', '军'], ['YANG', '洋'], ['YONG', '勇'], ['YAN', '艳'], ['JIE', '杰'], ['TAO', '涛'], ['MING', '明'], ['CHAO', '超'],
  ['XIU', '秀'], ['HUA', '华'], ['PING', '平'], ['GANG', '刚'], ['YING', '英'], ['HUI', '慧'], ['XIN', '欣'], ['YU', '宇'],
  ['HAO', '浩'], ['KAI', '凯'], ['BO', '博'], ['RUI', '睿'], ['ZI', '子'], ['HAN', '涵'], ['YI', '怡'], ['XUAN', '轩'],
  ['CHEN', '晨'], ['JIA', '佳'], ['LIN', '琳'], ['WEN', '文'], ['BIN', '斌'], ['HONG', '红'], ['XIAO', '晓'], ['TING', '婷'],
  ['DAN', '丹'], ['PENG', '鹏'], ['FEI', '飞'], ['LONG', '龙'], ['SHAN', '珊'], ['QIAN', '倩'], ['YUN', '云'], ['ZHI', '志'],
  ['XUE', '雪'], ['SI', '思'], ['ZE', '泽'], ['AN', '安'], ['NING', '宁'], ['HANG', '航'], ['TIAN', '天'], ['YUE', '悦'],
];
const HK_SURNAMES: readonly (readonly [string, string])[] = [
  ['CHAN', '陈'], ['WONG', '黄'], ['LEE', '李'], ['CHEUNG', '张'], ['LAU', '刘'], ['NG', '吴'], ['HO', '何'], ['LEUNG', '梁'],
  ['YEUNG', '杨'], ['TSANG', '曾'], ['LAM', '林'], ['CHOW', '周'], ['TANG', '邓'], ['LO', '卢'], ['KWOK', '郭'], ['MAK', '麦'],
  ['FUNG', '冯'], ['TAM', '谭'], ['YIP', '叶'], ['CHOI', '蔡'], ['LAI', '黎'], ['SO', '苏'], ['KWAN', '关'], ['POON', '潘'],
  ['CHU', '朱'], ['TSE', '谢'], ['LUK', '陆'], ['CHIU', '赵'], ['YUEN', '袁'], ['SIU', '萧'], ['CHING', '程'], ['FONG', '方'],
];
const HK_GIVEN: readonly (readonly [string, string])[] = [
  ['TAI', '大'], ['MAN', '文'], ['WAI', '伟'], ['KIN', '健'], ['MING', '明'], ['KA', '嘉'], ['YAN', '欣'], ['HO', '浩'],
  ['CHUN', '俊'], ['WING', '荣'], ['SIU', '小'], ['FAI', '辉'], ['KWAN', '君'], ['YEE', '仪'], ['LOK', '乐'], ['HEI', '熙'],
  ['TSZ', '子'], ['SUM', '心'], ['ON', '安'], ['HONG', '康'], ['LING', '玲'], ['MEI', '美'], ['SZE', '思'], ['KIT', '杰'],
  ['YIU', '耀'], ['PUI', '佩'], ['SHAN', '珊'], ['CHING', '晴'], ['HIN', '轩'], ['LONG', '朗'], ['NOK', '诺'], ['YAU', '佑'],
];
const HK_ENGLISH_NAMES = ['PETER', 'MARY', 'JOHN', 'KAREN', 'ERIC', 'JOYCE', 'KELVIN', 'WINNIE', 'MICHAEL', 'CHARLOTTE', 'JASON', 'IVY'];

interface ForeignNames {
  nationality: string;
  surnames: readonly string[];
  given: readonly string[];
  weight: number;
}
const FOREIGN: readonly ForeignNames[] = [
  { nationality: 'GBR', weight: 14, surnames: ['SMITH', 'JONES', 'WILLIAMS', 'TAYLOR', 'DAVIES', 'EVANS', 'WALKER', 'WRIGHT', 'HUGHES', 'EDWARDS'], given: ['JAMES', 'OLIVIA', 'GEORGE', 'EMILY', 'THOMAS', 'SOPHIE', 'HARRY', 'CHLOE', 'OLIVER', 'GRACE'] },
  { nationality: 'USA', weight: 14, surnames: ['JOHNSON', 'BROWN', 'MILLER', 'DAVIS', 'GARCIA', 'RODRIGUEZ', 'MARTINEZ', 'ANDERSON', 'THOMPSON', 'MOORE'], given: ['MICHAEL', 'EMMA', 'DANIEL', 'AVA', 'MATTHEW', 'MIA', 'ETHAN', 'ABIGAIL', 'RYAN', 'MADISON'] },
  { nationality: 'AUS', weight: 6, surnames: ['WILSON', 'MARTIN', 'KELLY', 'RYAN', "O'BRIEN", 'MITCHELL', 'CAMPBELL'], given: ['JACK', 'CHARLOTTE', 'WILLIAM', 'ISLA', 'NOAH', 'MATILDA'] },
  { nationality: 'CAN', weight: 6, surnames: ['TREMBLAY', 'GAGNON', 'ROY', 'MACDONALD', 'LEBLANC', 'FRASER'], given: ['LIAM', 'CHLOE', 'LUCAS', 'ZOE', 'NATHAN', 'JULIA'] },
  { nationality: 'DEU', weight: 8, surnames: ['MUELLER', 'SCHMIDT', 'SCHNEIDER', 'FISCHER', 'WEBER', 'MEYER', 'WAGNER', 'BECKER'], given: ['LUKAS', 'ANNA', 'FELIX', 'LENA', 'JONAS', 'LAURA', 'MAXIMILIAN', 'SOPHIA'] },
  { nationality: 'FRA', weight: 6, surnames: ['MARTIN', 'BERNARD', 'DUBOIS', 'THOMAS', 'ROBERT', 'PETIT', 'DURAND', 'LEROY'], given: ['LOUIS', 'CHLOE', 'HUGO', 'LEA', 'JULES', 'MANON', 'ARTHUR', 'CAMILLE'] },
  { nationality: 'JPN', weight: 8, surnames: ['SATO', 'SUZUKI', 'TAKAHASHI', 'TANAKA', 'WATANABE', 'ITO', 'YAMAMOTO', 'NAKAMURA'], given: ['HARUTO', 'YUI', 'SOTA', 'HINA', 'RIKU', 'AOI', 'KENJI', 'SAKURA'] },
  { nationality: 'KOR', weight: 6, surnames: ['KIM', 'LEE', 'PARK', 'CHOI', 'JUNG', 'KANG', 'CHO', 'YOON'], given: ['MINJUN', 'SEOYEON', 'JIHO', 'HAYOON', 'DOYUN', 'SEOAH'] },
  { nationality: 'IND', weight: 10, surnames: ['SHARMA', 'PATEL', 'SINGH', 'KUMAR', 'GUPTA', 'REDDY', 'IYER', 'NAIR'], given: ['AARAV', 'ANANYA', 'VIHAAN', 'DIYA', 'ARJUN', 'PRIYA', 'ROHAN', 'KAVYA'] },
  { nationality: 'SGP', weight: 8, surnames: ['TAN', 'LIM', 'LEE', 'NG', 'ONG', 'WONG', 'GOH', 'CHUA'], given: ['WEI MING', 'HUI LING', 'JUN JIE', 'XIN YI', 'KAI WEN', 'SHU TING'] },
  { nationality: 'MYS', weight: 5, surnames: ['TAN', 'LIM', 'ABDULLAH', 'RAHMAN', 'WONG', 'OOI'], given: ['AHMAD', 'NUR AISYAH', 'CHEE KEONG', 'MEI LING', 'HAFIZ', 'SITI'] },
  { nationality: 'NLD', weight: 3, surnames: ['DE JONG', 'JANSEN', 'DE VRIES', 'VAN DEN BERG', 'BAKKER', 'VISSER'], given: ['DAAN', 'EMMA', 'SEM', 'JULIA', 'LUCAS', 'TESS'] },
  { nationality: 'ITA', weight: 3, surnames: ['ROSSI', 'RUSSO', 'FERRARI', 'ESPOSITO', 'BIANCHI', 'ROMANO'], given: ['LEONARDO', 'SOFIA', 'FRANCESCO', 'GIULIA', 'ALESSANDRO', 'AURORA'] },
  { nationality: 'RUS', weight: 3, surnames: ['IVANOV', 'SMIRNOVA', 'KUZNETSOV', 'POPOVA', 'VASILIEV', 'PETROVA'], given: ['ALEXANDER', 'ANASTASIA', 'DMITRY', 'MARIA', 'SERGEY', 'ELENA'] },
];
const FOREIGN_WEIGHTED = FOREIGN.map((f) => [f, f.weight] as const);

// ---- institutions -----------------------------------------------------------------

const FIELDS: readonly (readonly [string, string])[] = [
  ['Quantum Science', '量子科学'], ['Biomedical Engineering', '生物医学工程'], ['Advanced Materials', '先进材料'],
  ['Robotics', '机器人'], ['Semiconductors', '半导体'], ['Genomics', '基因组学'], ['Artificial Intelligence', '人工智能'],
  ['Microelectronics', '微电子'], ['Clean Energy', '清洁能源'], ['Photonics', '光子学'], ['Precision Medicine', '精准医学'],
  ['Synthetic Biology', '合成生物学'], ['Advanced Manufacturing', '先进制造'], ['Marine Science', '海洋科学'],
  ['Data Science', '数据科学'], ['Neuroscience', '神经科学'], ['Drug Discovery', '药物研发'], ['Aerospace', '航空航天'],
];
const SZ_PLACES: readonly (readonly [string, string])[] = [
  ['Futian', '福田'], ['Nanshan', '南山'], ['Luohu', '罗湖'], ['Longgang', '龙岗'], ['Bao’an', '宝安'], ['Longhua', '龙华'],
  ['Guangming', '光明'], ['Pingshan', '坪山'], ['Qianhai', '前海'], ['Shekou', '蛇口'], ['Xili', '西丽'], ['Hetao', '河套'],
];
const HK_PLACES: readonly (readonly [string, string])[] = [
  ['Sha Tin', '沙田'], ['Kowloon Tong', '九龙塘'], ['Pok Fu Lam', '薄扶林'], ['Clear Water Bay', '清水湾'], ['Tai Po', '大埔'],
  ['Tseung Kwan O', '将军澳'], ['Cyberport', '数码港'], ['Science Park', '科学园'], ['Lok Ma Chau Loop', '落马洲河套'],
  ['Kwun Tong', '观塘'], ['Hung Hom', '红磡'], ['Wong Chuk Hang', '黄竹坑'],
];

export type Side = 'SZ' | 'HK';
export type InstitutionKind = 'university' | 'research_institute' | 'enterprise' | 'hospital' | 'other';

export interface InstitutionSpec {
  id: string;
  side: Side;
  kind: InstitutionKind;
  name: string;
  nameZh: string;
  registrationNumber: string;
  status: 'active' | 'suspended';
  domain: string;
}

const KIND_WEIGHTS: readonly (readonly [InstitutionKind, number])[] = [
  ['university', 25],
  ['research_institute', 30],
  ['enterprise', 35],
  ['hospital', 7],
  ['other', 3],
];

export function makeInstitution(rng: Rng, index: number, id: string, side: Side, seen: Set<string>): InstitutionSpec {
  const kind = rng.weighted(KIND_WEIGHTS);
  const [field, fieldZh] = rng.pick(FIELDS);
  const [place, placeZh] = rng.pick(side === 'SZ' ? SZ_PLACES : HK_PLACES);
  let name: string;
  let nameZh: string;
  if (side === 'SZ') {
    switch (kind) {
      case 'university':
        name = `Shenzhen University of ${field}, ${place} Campus`;
        nameZh = `深圳${fieldZh}大学${placeZh}校区`;
        break;
      case 'research_institute':
        name = `Shenzhen ${place} Institute of ${field}`;
        nameZh = `深圳${placeZh}${fieldZh}研究院`;
        break;
      case 'enterprise':
        name = `${place} ${field} Technology (Shenzhen) Co., Ltd.`;
        nameZh = `深圳${placeZh}${fieldZh}科技有限公司`;
        break;
      case 'hospital':
        name = `Shenzhen ${place} People’s Hospital`;
        nameZh = `深圳市${placeZh}人民医院`;
        break;
      default:
        name = `Shenzhen ${field} Laboratory (${place})`;
        nameZh = `深圳${fieldZh}实验室（${placeZh}）`;
    }
  } else {
    switch (kind) {
      case 'university':
        name = `Hong Kong University of ${field}, ${place}`;
        nameZh = `香港${fieldZh}大学（${placeZh}）`;
        break;
      case 'research_institute':
        name = `Hong Kong Centre for ${field}, ${place}`;
        nameZh = `香港${placeZh}${fieldZh}研究中心`;
        break;
      case 'enterprise':
        name = `${place} ${field} (Hong Kong) Limited`;
        nameZh = `香港${placeZh}${fieldZh}有限公司`;
        break;
      case 'hospital':
        name = `${place} Hospital`;
        nameZh = `${placeZh}医院`;
        break;
      default:
        name = `Hong Kong ${field} Laboratory (${place})`;
        nameZh = `香港${fieldZh}实验室（${placeZh}）`;
    }
  }
  if (seen.has(name)) {
    name = `${name} No.${index}`;
    nameZh = `${nameZh}${index}号`;
  }
  seen.add(name);
  const registrationNumber =
    side === 'SZ'
      ? `91440300MA5${index.toString(36).toUpperCase().padStart(6, '0')}X`
      : String(30_000_000 + index * 7 + 3);
  const domain = `${side.toLowerCase()}${index}.${kind === 'university' ? 'edu' : kind === 'hospital' ? 'med' : 'org'}.${side === 'SZ' ? 'cn' : 'hk'}`;
  return { id, side, kind, name, nameZh, registrationNumber, status: rng.chance(0.02) ? 'suspended' : 'active', domain };
}

// ---- identity documents -------------------------------------------------------------

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

// ---- researchers --------------------------------------------------------------------

export type Profile = 'mainland' | 'hk' | 'foreign';

export interface PersonSpec {
  profile: Profile;
  fullName: string;
  nameZh: string | null;
  nationality: string;
  dateOfBirth: string;
  docs: DocSpec[];
  /** The document shown at the border (permits for the Mainland and HK residents, else a passport). */
  travelDoc: DocSpec;
}

function chineseGiven(rng: Rng, pool: readonly (readonly [string, string])[], joiner: string): [string, string] {
  const first = rng.pick(pool);
  if (rng.chance(0.25)) return [first[0], first[1]];
  const second = rng.pick(pool);
  return [`${first[0]}${joiner}${second[0]}`, `${first[1]}${second[1]}`];
}

const FIRST_DOB_DAY = dayOf('1958-01-01');
const DOB_SPAN = dayOf('2002-12-31') - FIRST_DOB_DAY;

export function makePerson(rng: Rng, docs: DocumentFactory, institutionSide: Side): PersonSpec {
  const profile: Profile =
    institutionSide === 'SZ'
      ? rng.weighted([['mainland', 90], ['hk', 4], ['foreign', 6]] as const)
      : rng.weighted([['hk', 70], ['mainland', 20], ['foreign', 10]] as const);
  const list: DocSpec[] = [];
  if (profile === 'mainland') {
    const [sur, surZh] = rng.pick(MAINLAND_SURNAMES);
    const [given, givenZh] = chineseGiven(rng, MAINLAND_GIVEN, '');
    const prc = docs.prcId();
    list.push(prc.doc);
    const permit = rng.chance(0.95) ? docs.hkMacaoPermit() : null;
    if (permit) list.push(permit);
    const passport = rng.chance(0.25) || !permit ? docs.passportOf('CHN') : null;
    if (passport) list.push(passport);
    if (institutionSide === 'HK') list.push(docs.hkidNumber());
    return {
      profile,
      fullName: `${sur} ${given}`,
      nameZh: `${surZh}${givenZh}`,
      nationality: 'CHN',
      dateOfBirth: prc.dateOfBirth,
      docs: list,
      travelDoc: permit ?? passport!,
    };
  }
  const dateOfBirth = dayString(FIRST_DOB_DAY + rng.int(DOB_SPAN));
  if (profile === 'hk') {
    const [sur, surZh] = rng.pick(HK_SURNAMES);
    const [given, givenZh] = chineseGiven(rng, HK_GIVEN, ' ');
    const english = rng.chance(0.2) ? ` ${rng.pick(HK_ENGLISH_NAMES)}` : '';
    list.push(docs.hkidNumber());
    const permit = rng.chance(0.9) ? docs.homeReturnPermit(rng.chance(0.03)) : null;
    if (permit) list.push(permit);
    const passport = rng.chance(0.35) || !permit ? docs.passportOf('HKG') : null;
    if (passport) list.push(passport);
    return {
      profile,
      fullName: `${sur} ${given}${english}`,
      nameZh: `${surZh}${givenZh}`,
      nationality: 'CHN',
      dateOfBirth,
      docs: list,
      travelDoc: permit ?? passport!,
    };
  }
  const f = rng.weighted(FOREIGN_WEIGHTED);
  const passport = docs.passportOf(f.nationality);
  list.push(passport);
  if (institutionSide === 'HK' && rng.chance(0.8)) list.push(docs.hkidNumber());
  return {
    profile,
    fullName: `${rng.pick(f.surnames)} ${rng.pick(f.given)}`,
    nameZh: null,
    nationality: f.nationality,
    dateOfBirth,
    docs: list,
    travelDoc: passport,
  };
}

// ---- items ----------------------------------------------------------------------

export interface EquipmentModel {
  manufacturer: string;
  model: string;
  name: string;
  hsCode: string;
  value: [number, number];
  serialPrefix: string;
}
export const EQUIPMENT: readonly EquipmentModel[] = [
  { manufacturer: 'Apple', model: 'MacBook Pro 14 (M3)', name: 'Laptop computer', hsCode: '847130', value: [12_000, 22_000], serialPrefix: 'C02' },
  { manufacturer: 'Dell', model: 'Latitude 7440', name: 'Laptop computer', hsCode: '847130', value: [8_000, 14_000], serialPrefix: 'DL' },
  { manufacturer: 'Lenovo', model: 'ThinkPad X1 Carbon Gen 12', name: 'Laptop computer', hsCode: '847130', value: [9_000, 16_000], serialPrefix: 'PF' },
  { manufacturer: 'Thermo Fisher Scientific', model: 'NanoDrop One', name: 'Microvolume spectrophotometer', hsCode: '902730', value: [60_000, 90_000], serialPrefix: 'AZY' },
  { manufacturer: 'Olympus', model: 'CX23', name: 'Biological microscope', hsCode: '901180', value: [8_000, 15_000], serialPrefix: 'OCX' },
  { manufacturer: 'Keysight', model: 'DSOX1204G', name: 'Digital oscilloscope', hsCode: '903020', value: [9_000, 14_000], serialPrefix: 'CN6' },
  { manufacturer: 'Eppendorf', model: 'Centrifuge 5425', name: 'Microcentrifuge', hsCode: '842119', value: [15_000, 25_000], serialPrefix: '5405' },
  { manufacturer: 'Bio-Rad', model: 'T100', name: 'Thermal cycler', hsCode: '841989', value: [30_000, 45_000], serialPrefix: '621BR' },
  { manufacturer: 'Sartorius', model: 'Quintix 125D-1S', name: 'Analytical balance', hsCode: '901600', value: [20_000, 35_000], serialPrefix: 'SQ' },
  { manufacturer: 'FLIR', model: 'E8-XT', name: 'Thermal imaging camera', hsCode: '852589', value: [20_000, 30_000], serialPrefix: 'FE8' },
  { manufacturer: 'DJI', model: 'Matrice 350 RTK', name: 'Survey drone', hsCode: '880622', value: [60_000, 110_000], serialPrefix: '1ZN' },
  { manufacturer: 'Oxford Nanopore', model: 'MinION Mk1B', name: 'Portable DNA sequencer', hsCode: '902780', value: [8_000, 12_000], serialPrefix: 'MN' },
];

export interface ReagentSpec {
  name: string;
  cas: string;
  unit: string;
  hazardClass: string | null;
  hsCode: string | null;
}
export const REAGENTS: readonly ReagentSpec[] = [
  { name: 'Ethanol, absolute', cas: '64-17-5', unit: 'mL', hazardClass: '3', hsCode: '220710' },
  { name: 'Acetone', cas: '67-64-1', unit: 'mL', hazardClass: '3', hsCode: '291411' },
  { name: 'Methanol', cas: '67-56-1', unit: 'mL', hazardClass: '3', hsCode: '290511' },
  { name: 'Dimethyl sulfoxide', cas: '67-68-5', unit: 'mL', hazardClass: null, hsCode: '293090' },
  { name: 'Sodium chloride', cas: '7647-14-5', unit: 'g', hazardClass: null, hsCode: '250100' },
  { name: 'Tris base', cas: '77-86-1', unit: 'g', hazardClass: null, hsCode: '292219' },
  { name: 'Agarose', cas: '9012-36-6', unit: 'g', hazardClass: null, hsCode: '391390' },
  { name: 'Glycerol', cas: '56-81-5', unit: 'mL', hazardClass: null, hsCode: '290545' },
  { name: 'HEPES', cas: '7365-45-9', unit: 'g', hazardClass: null, hsCode: null },
  { name: 'EDTA', cas: '60-00-4', unit: 'g', hazardClass: null, hsCode: '292242' },
  { name: 'Hydrochloric acid 37%', cas: '7647-01-0', unit: 'mL', hazardClass: '8', hsCode: '280610' },
  { name: 'Sodium hydroxide', cas: '1310-73-2', unit: 'g', hazardClass: '8', hsCode: '281511' },
];

export interface SampleSpec {
  name: string;
  unit: string;
  bsl: number;
}
export const SAMPLES: readonly SampleSpec[] = [
  { name: 'Plasmid DNA (pUC19)', unit: 'vials', bsl: 1 },
  { name: 'E. coli K-12 strain', unit: 'vials', bsl: 1 },
  { name: 'Zebrafish embryos', unit: 'units', bsl: 1 },
  { name: 'HEK293 cell line', unit: 'vials', bsl: 2 },
  { name: 'Human serum samples', unit: 'mL', bsl: 2 },
  { name: 'Mouse tissue sections', unit: 'units', bsl: 2 },
];

export const DATASETS = [
  'Genome sequencing reads',
  'Climate model output',
  'Clinical trial dataset',
  'Satellite imagery tiles',
  'Training corpus for a language model',
  'Microscopy image set',
  'Traffic sensor recordings',
  'Materials simulation results',
] as const;

// The pools must hold valid values: check them once, loudly, rather than load bad data.
for (const r of REAGENTS) {
  if (!validateCasNumber(r.cas).ok) throw new Error(`synthetic-data: invalid CAS number ${r.cas}`);
  if (r.hsCode && !validateHsCode(r.hsCode).ok) throw new Error(`synthetic-data: invalid HS code ${r.hsCode}`);
}
for (const e of EQUIPMENT) {
  if (!validateHsCode(e.hsCode).ok) throw new Error(`synthetic-data: invalid HS code ${e.hsCode}`);
}

/** Self-check of a generated document with the service's own validators (used on a sample). */
export function assertValidDocument(d: DocSpec): void {
  const v = validateDocumentNumber(d.kind, d.number);
  if (!v.ok || v.normalized !== d.number) {
    throw new Error(`synthetic-data generated an invalid ${d.kind} number ${d.number}: ${v.ok ? 'not normalised' : v.message}`);
  }
}
