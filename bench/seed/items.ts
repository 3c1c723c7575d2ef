// A researcher's items: category, status and the columns of their category, in SPEC.items order.
import type { InstitutionSpec, Side } from './institutions.js';
import { DATASETS, EQUIPMENT, REAGENTS, SAMPLES } from './item-pools.js';
import { dayString, type IdGen, type Rng } from './random.js';

export type ItemCategory = 'equipment' | 'reagent' | 'biological_sample' | 'data';
const CATEGORY_WEIGHTS: readonly (readonly [ItemCategory, number])[] = [
  ['equipment', 45],
  ['reagent', 20],
  ['biological_sample', 10],
  ['data', 25],
];
const ITEM_STATUS_WEIGHTS = [
  ['approved', 85],
  ['endorsed', 6],
  ['submitted', 4],
  ['suspended', 2],
  ['rejected', 2],
  ['revoked', 1],
] as const;
const ITEMS_PER_RESEARCHER = [
  [0, 8],
  [1, 12],
  [2, 20],
  [3, 22],
  [4, 18],
  [5, 12],
  [6, 8],
] as const;

/** What making items needs of the generator's context. */
export interface ItemContext {
  rng: Rng;
  ids: IdGen;
  today: number;
  /** The next equipment serial number (a counter). */
  serial: number;
}

export interface PendingItem {
  id: string;
  category: ItemCategory;
  status: string;
  validUntil: string | null;
  values: unknown[];
  /** Equipment only. */
  maxDaysAbroad?: number;
  serial?: string;
}

/** The columns of SPEC.items from `name` on that depend on the category. */
interface CategoryColumns {
  name: string;
  serial: string | null;
  manufacturer: string | null;
  model: string | null;
  hsCode: string | null;
  valueAmount: number | null;
  valueCurrency: string | null;
  maxDays: number | null;
  currentSide: Side | null;
  quantity: number | null;
  remaining: number | null;
  unit: string | null;
  cas: string | null;
  hazard: string | null;
  bsl: number | null;
  permit: string | null;
  sha: string | null;
  size: number | null;
  classification: string | null;
  approval: string | null;
}

const NONE: Omit<CategoryColumns, 'name'> = {
  serial: null,
  manufacturer: null,
  model: null,
  hsCode: null,
  valueAmount: null,
  valueCurrency: null,
  maxDays: null,
  currentSide: null,
  quantity: null,
  remaining: null,
  unit: null,
  cas: null,
  hazard: null,
  bsl: null,
  permit: null,
  sha: null,
  size: null,
  classification: null,
  approval: null,
};

function categoryColumns(ctx: ItemContext, category: ItemCategory, home: Side): CategoryColumns {
  const { rng } = ctx;
  switch (category) {
    case 'equipment': {
      const m = rng.pick(EQUIPMENT);
      return {
        ...NONE,
        name: `${m.name} (${m.manufacturer} ${m.model})`,
        serial: `${m.serialPrefix}${(ctx.serial++).toString(36).toUpperCase().padStart(8, '0')}`,
        manufacturer: m.manufacturer,
        model: m.model,
        hsCode: m.hsCode,
        valueAmount: rng.between(m.value[0], m.value[1]),
        valueCurrency: home === 'SZ' ? 'CNY' : 'HKD',
        maxDays: rng.pick([30, 60, 90, 180]),
        currentSide: home,
      };
    }
    case 'reagent': {
      const r = rng.pick(REAGENTS);
      const quantity = rng.pick([100, 250, 500, 1000]);
      const remaining = Math.round(quantity * (0.2 + 0.8 * rng.float()));
      return { ...NONE, name: r.name, quantity, remaining, unit: r.unit, cas: r.cas, hazard: r.hazardClass, hsCode: r.hsCode };
    }
    case 'biological_sample': {
      const s = rng.pick(SAMPLES);
      const quantity = s.unit === 'mL' ? rng.between(5, 50) : rng.between(1, 24);
      const permit = s.bsl >= 2 ? `${home === 'SZ' ? 'GDBIO' : 'HKDH'}-2026-${String(rng.int(100_000)).padStart(5, '0')}` : null;
      return { ...NONE, name: s.name, quantity, remaining: quantity, unit: s.unit, bsl: s.bsl, permit };
    }
    default: {
      const name = rng.pick(DATASETS);
      const sha = rng.hex(64);
      const size = rng.between(1_000_000, 500_000_000_000);
      const classification = rng.weighted([['public', 40], ['internal', 35], ['personal_information', 15], ['important_data', 10]] as const);
      const approval =
        (classification === 'personal_information' || classification === 'important_data') && rng.chance(0.85)
          ? `CAC-2026-${String(rng.int(1_000_000)).padStart(6, '0')}`
          : null;
      return { ...NONE, name, sha, size, classification, approval };
    }
  }
}

/** The items of one researcher, built first and written after the crossing history has moved them. */
export function makeItems(ctx: ItemContext, inst: InstitutionSpec, researcherId: string): PendingItem[] {
  const { rng } = ctx;
  const pending: PendingItem[] = [];
  const count = rng.weighted(ITEMS_PER_RESEARCHER);
  const home: Side = inst.side;
  for (let k = 0; k < count; k++) {
    const id = ctx.ids.next();
    const category = rng.weighted(CATEGORY_WEIGHTS);
    const itemStatus = rng.weighted(ITEM_STATUS_WEIGHTS);
    let itemValidUntil: string | null = null;
    if (itemStatus === 'approved' || itemStatus === 'suspended') {
      itemValidUntil = dayString(rng.chance(0.03) ? ctx.today - rng.between(1, 200) : ctx.today + rng.between(30, 700));
    }
    const itemReason =
      itemStatus === 'suspended' ? 'Calibration certificate expired' : itemStatus === 'rejected' ? 'Not research equipment' : itemStatus === 'revoked' ? 'Sold' : null;
    const submittedBy = itemStatus === 'submitted' ? researcherId : null;
    const c = categoryColumns(ctx, category, home);
    pending.push({
      id,
      category,
      status: itemStatus,
      validUntil: itemValidUntil,
      ...(c.maxDays !== null ? { maxDaysAbroad: c.maxDays } : {}),
      ...(c.serial !== null ? { serial: c.serial } : {}),
      values: [
        id, inst.id, category, c.name, home, itemStatus, itemReason, itemValidUntil, submittedBy, c.serial, c.manufacturer, c.model, c.hsCode,
        c.valueAmount, c.valueCurrency, c.maxDays, c.currentSide, null, c.quantity, c.remaining, c.unit, c.cas, c.hazard, c.bsl, c.permit, c.sha,
        c.size, c.classification, c.approval,
      ],
    });
  }
  return pending;
}
