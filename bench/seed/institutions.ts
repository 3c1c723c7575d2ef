// Institutions on both sides of the zone, named after a field and a place, of uneven size.
import type { Rng } from './random.js';

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
