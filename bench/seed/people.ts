// Researchers of mainland, Hong Kong and foreign profiles, with the documents each holds.
import type { DocSpec, DocumentFactory } from './documents.js';
import type { Side } from './institutions.js';
import { dayOf, dayString, type Rng } from './random.js';

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
