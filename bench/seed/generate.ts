// One researcher at a time: the row, the identity documents, the items and, for a few, past crossings.
import type { DocSpec, DocumentFactory } from './documents.js';
import type { InstitutionSpec, Side } from './institutions.js';
import { type ItemContext, makeItems, type PendingItem } from './items.js';
import { makePerson, type PersonSpec } from './people.js';
import { dayOf, dayString, type IdGen, type Rng, uuid7 } from './random.js';
import type { Batch } from './rows.js';

const DAY_MS = 86_400_000;

export interface GeneratorContext extends ItemContext {
  rng: Rng;
  ids: IdGen;
  docs: DocumentFactory;
  institutions: InstitutionSpec[];
  cumulative: Float64Array;
  /** The last researcher generated for each institution: the second custodian of shared items. */
  lastOfInstitution: (string | undefined)[];
  officers: Map<string, string>;
  checkpoints: string[];
  nowMs: number;
  today: number;
  serial: number;
  sample: DocSpec[];
  sampleSize: number;
  docsSeen: number;
  counts: Record<string, number>;
}

const RESEARCHER_STATUS_WEIGHTS = [
  ['approved', 86],
  ['nominated', 7],
  ['suspended', 3],
  ['rejected', 2],
  ['revoked', 2],
] as const;

type ResearcherStatus = (typeof RESEARCHER_STATUS_WEIGHTS)[number][0];

function pickInstitution(ctx: GeneratorContext): number {
  const x = ctx.rng.float() * ctx.cumulative[ctx.cumulative.length - 1]!;
  let lo = 0;
  let hi = ctx.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ctx.cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Keeps a uniform sample of the generated documents (reservoir sampling), for the bench's lookups. */
function noteDocument(ctx: GeneratorContext, d: DocSpec): void {
  ctx.docsSeen += 1;
  if (ctx.sample.length < ctx.sampleSize) ctx.sample.push(d);
  else {
    const j = ctx.rng.int(ctx.docsSeen);
    if (j < ctx.sampleSize) ctx.sample[j] = d;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The researcher's row; returns the status and the end of validity. */
function addResearcher(ctx: GeneratorContext, batch: Batch, inst: InstitutionSpec, person: PersonSpec, researcherId: string) {
  const { rng } = ctx;
  const status: ResearcherStatus = rng.weighted(RESEARCHER_STATUS_WEIGHTS);
  let validFrom: string | null = null;
  let validUntil: string | null = null;
  let reason: string | null = null;
  if (status === 'approved' || status === 'suspended' || status === 'revoked') {
    const from = ctx.today - rng.between(0, 760);
    validFrom = dayString(from);
    validUntil = dayString(from + 730);
  }
  if (status === 'suspended') reason = rng.pick(['Under review by the institution', 'On leave', 'Pending renewal of contract']);
  if (status === 'revoked') reason = 'Left the institution';
  if (status === 'rejected') reason = 'Nomination incomplete: no employment record';
  const emailName = person.fullName.toLowerCase().replace(/[^a-z]+/g, '.').replace(/^\.|\.$/g, '');
  batch.researchers.add(
    researcherId,
    inst.id,
    person.fullName,
    person.nameZh,
    person.dateOfBirth,
    person.nationality,
    `${emailName}.${ctx.counts.researchers}@${inst.domain}`,
    status,
    reason,
    validFrom,
    validUntil,
  );
  ctx.counts.researchers! += 1;
  return { status, validUntil };
}

function addDocuments(ctx: GeneratorContext, batch: Batch, inst: InstitutionSpec, person: PersonSpec, researcherId: string, status: ResearcherStatus) {
  const { rng } = ctx;
  for (const d of person.docs) {
    const expires = rng.chance(0.01) ? ctx.today - rng.between(1, 365) : ctx.today + rng.between(120, 3650);
    // Documents are vetted with their researcher (migration 0011's rule for existing data).
    const docStatus = status === 'revoked' ? 'revoked' : status === 'approved' || status === 'suspended' ? 'approved' : 'pending';
    const countryKey = d.kind === 'passport' ? d.issuingCountry : '';
    batch.identity_documents.add(ctx.ids.next(), researcherId, inst.id, d.kind, d.number, d.issuingCountry, countryKey, dayString(expires), docStatus);
    ctx.counts.identity_documents! += 1;
    noteDocument(ctx, d);
  }
}

/** 1–4 past trips with one piece of equipment, alternating sides; the item ends where the last trip left it. */
function addPastCrossings(ctx: GeneratorContext, batch: Batch, inst: InstitutionSpec, person: PersonSpec, researcherId: string, equipment: PendingItem) {
  const { rng } = ctx;
  const home: Side = inst.side;
  const trips = rng.between(1, 4);
  let t = ctx.nowMs - rng.between(5, 150) * DAY_MS - rng.int(DAY_MS);
  let side: Side = home;
  let returnBy: number | null = null;
  for (let k = 0; k < trips && t < ctx.nowMs - 3_600_000; k++) {
    const to: Side = side === 'SZ' ? 'HK' : 'SZ';
    const checkpoint = rng.pick(ctx.checkpoints);
    const officer = ctx.officers.get(checkpoint)!;
    const flagged = rng.chance(0.03);
    const crossingId = uuid7(t, k, rng);
    batch.crossings.add(
      crossingId,
      checkpoint,
      side === 'SZ' ? 'SZ_TO_HK' : 'HK_TO_SZ',
      officer,
      researcherId,
      inst.id,
      person.travelDoc.kind,
      person.travelDoc.number,
      flagged ? 'FLAGGED' : 'CLEARED',
      JSON.stringify(flagged ? [{ code: 'RANDOM_INSPECTION', detail: 'Selected for a random inspection' }] : []),
      iso(t),
    );
    batch.crossing_items.add(crossingId, 1, equipment.id, equipment.serial ?? null);
    let movedAt = t;
    let inspectionId: string | null = null;
    if (flagged) {
      movedAt = t + 10 * 60_000;
      inspectionId = uuid7(movedAt, k, rng);
      batch.inspections.add(inspectionId, crossingId, 'RELEASED', 'Inspected: matches the declaration', officer, checkpoint, iso(movedAt));
    }
    returnBy = to === home ? null : movedAt + (equipment.maxDaysAbroad ?? 90) * DAY_MS;
    const returnByText = returnBy === null ? null : iso(returnBy);
    batch.item_movements.add(uuid7(movedAt, k + 8, rng), equipment.id, crossingId, inspectionId, 'moved', side, to, returnByText, iso(movedAt));
    ctx.counts.crossings! += 1;
    ctx.counts.item_movements! += 1;
    side = to;
    t += rng.between(1, 20) * DAY_MS + rng.int(DAY_MS);
  }
  equipment.values[16] = side; // current_side
  equipment.values[17] = side === home || returnBy === null ? null : iso(returnBy); // return_by
  ctx.counts.travellers_with_history! += 1;
}

export function generateResearcher(ctx: GeneratorContext, batch: Batch): void {
  const { rng } = ctx;
  const instIndex = pickInstitution(ctx);
  const inst = ctx.institutions[instIndex]!;
  const person = makePerson(rng, ctx.docs, inst.side);
  const researcherId = ctx.ids.next();
  const { status, validUntil } = addResearcher(ctx, batch, inst, person, researcherId);
  addDocuments(ctx, batch, inst, person, researcherId, status);
  const pending = makeItems(ctx, inst, researcherId);

  // A few % of the approved researchers have crossed before, with a laptop or instrument.
  const equipment = pending.find((p) => p.category === 'equipment' && p.status === 'approved' && p.validUntil !== null && dayOf(p.validUntil) >= ctx.today);
  if (equipment && status === 'approved' && inst.status === 'active' && validUntil !== null && dayOf(validUntil) >= ctx.today && rng.chance(0.04)) {
    addPastCrossings(ctx, batch, inst, person, researcherId, equipment);
  }

  const second = ctx.lastOfInstitution[instIndex];
  for (const p of pending) {
    batch.items.add(...p.values);
    batch.item_custodians.add(p.id, researcherId);
    ctx.counts.items! += 1;
    ctx.counts.item_custodians! += 1;
    if (second !== undefined && rng.chance(0.12)) {
      batch.item_custodians.add(p.id, second);
      ctx.counts.item_custodians! += 1;
    }
  }
  ctx.lastOfInstitution[instIndex] = researcherId;
}
