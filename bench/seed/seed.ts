import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { appendAudit, verifyChain } from '../audit/chain.js';
import { hashSecret } from '../auth/passwords.js';
import { borderDate } from '../domain/border.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import {
  assertValidDocument,
  DATASETS,
  dayOf,
  dayString,
  type DocSpec,
  DocumentFactory,
  EQUIPMENT,
  IdGen,
  type InstitutionSpec,
  makeInstitution,
  makePerson,
  REAGENTS,
  Rng,
  SAMPLES,
  type Side,
  uuid7,
} from './synthetic-data.js';

/**
 * `seed-synthetic --researchers N`: a realistic whitelist of N researchers on a
 * database of its own (`hetao_bench_<N>`), for the benchmark. Not through the API:
 * rows are generated here and sent as typed arrays (`insert … select * from
 * unnest($1::uuid[], …)`), thousands of rows a statement, in a few transactions,
 * with the secondary indexes and foreign keys of the bulk tables dropped during
 * the load and rebuilt after it (measured: see docs/performance.md). One audit
 * event records the load; the chain verifies.
 */

export const BENCH_PASSWORD = 'hetao-bench-password';
export const BENCH_DATABASE_RE = /^hetao_bench_[a-z0-9_]{1,40}$/;
export const SEED_ACTION = 'seed.synthetic';
/** Bump when the shape of the generated data changes: older bench databases are then reseeded. */
export const GENERATOR_VERSION = 2;
/** Where the document samples go (git-ignored). */
export const BENCH_RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const ADVISORY_NAMESPACE = 74_120_100;
const CHUNK = 4000;
const COMMIT_EVERY = 250_000;
const DAY_MS = 86_400_000;
const BULK_TABLES = [
  'researchers',
  'identity_documents',
  'items',
  'item_custodians',
  'crossings',
  'crossing_items',
  'inspections',
  'item_movements',
] as const;

export function benchDatabaseName(researchers: number): string {
  return `hetao_bench_${researchers}`;
}

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export function sampleFileOf(database: string): string {
  return join(BENCH_RESULTS_DIR, `${database}.documents.json`);
}

export interface SeedIo {
  out(line: string): void;
  err(line: string): void;
}

export interface SeedOptions {
  researchers: number;
  /** Defaults to hetao_bench_<researchers>; must start with hetao_bench_. */
  database?: string | undefined;
  /** A Postgres URL on the server where the bench database is created (its own database is only used to connect). */
  serverUrl: string | undefined;
  /** NODE_ENV: production is refused. */
  env: string;
  /** Drop and reseed even when a complete seed of the same size is there. */
  reset?: boolean;
  /** Load with every index and foreign key in place (slower; for measuring the difference). */
  withIndexes?: boolean;
  seed?: number;
  sampleSize?: number;
  io: SeedIo;
}

export interface SeedMarker {
  generator: number;
  researchers: number;
  seed: number;
  counts: Record<string, number>;
  seconds: number;
  phases: Record<string, number>;
  indexMode: 'rebuilt' | 'kept';
  seededAt: string;
}

export interface SeedSummary extends SeedMarker {
  database: string;
  url: string;
  reused: boolean;
  sampleFile: string;
  databaseBytes: number;
}

/** The marker of a complete seed (the summary audit event), or null when absent or the database is missing. */
export async function readSeedMarker(url: string): Promise<SeedMarker | null> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return null;
  }
  try {
    const { rows } = await client.query<{ data: SeedMarker }>(
      `select data from audit_events where action = $1 order by seq desc limit 1`,
      [SEED_ACTION],
    );
    return rows[0]?.data ?? null;
  } catch {
    return null;
  } finally {
    await client.end();
  }
}

// ---- bulk rows ----------------------------------------------------------------------

type ColType = 'uuid' | 'text' | 'date' | 'timestamptz' | 'int4' | 'int8' | 'float8' | 'numeric' | 'jsonb' | 'bool';

/** Column-wise rows of one table, inserted as one `unnest` of typed arrays. */
class Rows {
  readonly cols: unknown[][];
  length = 0;
  constructor(
    readonly table: string,
    readonly spec: readonly (readonly [string, ColType])[],
    /** A column computed from the others (`u.<column>`), e.g. the reason codes of a crossing. */
    readonly computed?: { column: string; expr: string },
  ) {
    this.cols = spec.map(() => []);
  }
  add(...values: unknown[]): void {
    for (let i = 0; i < values.length; i++) this.cols[i]!.push(values[i]);
    this.length += 1;
  }
  /** The insert, its parameters numbered from `offset + 1`. */
  textFrom(offset: number): string {
    const names = this.spec.map(([c]) => c);
    const unnest = `unnest(${this.spec.map(([, t], i) => `$${offset + i + 1}::${t}[]`).join(', ')}) as u(${names.join(', ')})`;
    return this.computed
      ? `insert into ${this.table} (${names.join(', ')}, ${this.computed.column}) select u.*, ${this.computed.expr} from ${unnest}`
      : `insert into ${this.table} (${names.join(', ')}) select * from ${unnest}`;
  }
}

const SPEC = {
  researchers: [
    ['id', 'uuid'], ['institution_id', 'uuid'], ['full_name', 'text'], ['name_zh', 'text'], ['date_of_birth', 'date'],
    ['nationality', 'text'], ['email', 'text'], ['status', 'text'], ['status_reason', 'text'], ['valid_from', 'date'],
    ['valid_until', 'date'],
  ],
  identity_documents: [
    ['id', 'uuid'], ['researcher_id', 'uuid'], ['institution_id', 'uuid'], ['kind', 'text'], ['number', 'text'], ['issuing_country', 'text'],
    ['country_key', 'text'], ['expires_on', 'date'], ['status', 'text'],
  ],
  items: [
    ['id', 'uuid'], ['institution_id', 'uuid'], ['category', 'text'], ['name', 'text'], ['home_side', 'text'], ['status', 'text'],
    ['status_reason', 'text'], ['valid_until', 'date'], ['submitted_by', 'uuid'], ['serial_number', 'text'], ['manufacturer', 'text'],
    ['model', 'text'], ['hs_code', 'text'], ['value_amount', 'numeric'], ['value_currency', 'text'], ['max_days_abroad', 'int4'],
    ['current_side', 'text'], ['return_by', 'timestamptz'], ['quantity', 'float8'], ['remaining_quantity', 'float8'], ['unit', 'text'],
    ['cas_number', 'text'], ['hazard_class', 'text'], ['biosafety_level', 'int4'], ['permit_reference', 'text'], ['sha256', 'text'],
    ['size_bytes', 'int8'], ['classification', 'text'], ['transfer_approval_reference', 'text'],
  ],
  item_custodians: [['item_id', 'uuid'], ['researcher_id', 'uuid']],
  crossings: [
    ['id', 'uuid'], ['checkpoint', 'text'], ['direction', 'text'], ['officer_id', 'uuid'], ['researcher_id', 'uuid'],
    ['institution_id', 'uuid'], ['document_kind', 'text'], ['document_number', 'text'], ['decision', 'text'], ['reasons', 'jsonb'],
    ['decided_at', 'timestamptz'],
  ],
  crossing_items: [['crossing_id', 'uuid'], ['line', 'int4'], ['item_id', 'uuid'], ['serial_number', 'text']],
  inspections: [
    ['id', 'uuid'], ['crossing_id', 'uuid'], ['outcome', 'text'], ['notes', 'text'], ['officer_id', 'uuid'], ['checkpoint', 'text'],
    ['recorded_at', 'timestamptz'],
  ],
  item_movements: [
    ['id', 'uuid'], ['item_id', 'uuid'], ['crossing_id', 'uuid'], ['inspection_id', 'uuid'], ['kind', 'text'], ['from_side', 'text'],
    ['to_side', 'text'], ['return_by', 'timestamptz'], ['at', 'timestamptz'],
  ],
} as const satisfies Record<(typeof BULK_TABLES)[number], readonly (readonly [string, ColType])[]>;

interface Batch {
  researchers: Rows;
  identity_documents: Rows;
  items: Rows;
  item_custodians: Rows;
  crossings: Rows;
  crossing_items: Rows;
  inspections: Rows;
  item_movements: Rows;
}

function newBatch(): Batch {
  return {
    researchers: new Rows('researchers', SPEC.researchers),
    identity_documents: new Rows('identity_documents', SPEC.identity_documents),
    items: new Rows('items', SPEC.items),
    item_custodians: new Rows('item_custodians', SPEC.item_custodians),
    crossings: new Rows('crossings', SPEC.crossings, {
      column: 'reason_codes',
      expr: `array(select r->>'code' from jsonb_array_elements(u.reasons) r)`,
    }),
    crossing_items: new Rows('crossing_items', SPEC.crossing_items),
    inspections: new Rows('inspections', SPEC.inspections),
    item_movements: new Rows('item_movements', SPEC.item_movements),
  };
}

/**
 * The whole chunk in one statement (one data-modifying CTE per table): one round trip,
 * so Postgres works on chunk k while this process generates chunk k+1. (Foreign keys,
 * when kept, are checked at the end of the statement, after every CTE has run.)
 */
async function insertBatch(client: pg.Client, batch: Batch): Promise<void> {
  const parts: string[] = [];
  const values: unknown[] = [];
  let mask = 0;
  BULK_TABLES.forEach((table, bit) => {
    const rows = batch[table];
    if (rows.length === 0) return;
    parts.push(`${table}_ins as (${rows.textFrom(values.length)})`);
    values.push(...rows.cols);
    mask |= 1 << bit;
  });
  if (parts.length === 0) return;
  // A named statement per combination of tables: parsed and planned once, not per chunk.
  await client.query({ name: `seed_synthetic_${mask}`, text: `with ${parts.join(', ')} select 1`, values });
}

// ---- the generator ------------------------------------------------------------------

interface GeneratorContext {
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

type ItemCategory = 'equipment' | 'reagent' | 'biological_sample' | 'data';
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
const RESEARCHER_STATUS_WEIGHTS = [
  ['approved', 86],
  ['nominated', 7],
  ['suspended', 3],
  ['rejected', 2],
  ['revoked', 2],
] as const;

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

function noteDocument(ctx: GeneratorContext, d: DocSpec): void {
  ctx.docsSeen += 1;
  if (ctx.sample.length < ctx.sampleSize) ctx.sample.push(d);
  else {
    const j = ctx.rng.int(ctx.docsSeen);
    if (j < ctx.sampleSize) ctx.sample[j] = d;
  }
}

interface PendingItem {
  id: string;
  category: ItemCategory;
  status: string;
  validUntil: string | null;
  values: unknown[];
  /** Equipment only. */
  maxDaysAbroad?: number;
  serial?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

function generateResearcher(ctx: GeneratorContext, batch: Batch): void {
  const { rng } = ctx;
  const instIndex = pickInstitution(ctx);
  const inst = ctx.institutions[instIndex]!;
  const person = makePerson(rng, ctx.docs, inst.side);
  const researcherId = ctx.ids.next();

  const status = rng.weighted(RESEARCHER_STATUS_WEIGHTS);
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

  for (const d of person.docs) {
    const expires = rng.chance(0.01) ? ctx.today - rng.between(1, 365) : ctx.today + rng.between(120, 3650);
    // Documents are vetted with their researcher (migration 0011's rule for existing data).
    const docStatus = status === 'revoked' ? 'revoked' : status === 'approved' || status === 'suspended' ? 'approved' : 'pending';
    batch.identity_documents.add(ctx.ids.next(), researcherId, inst.id, d.kind, d.number, d.issuingCountry, d.kind === 'passport' ? d.issuingCountry : '', dayString(expires), docStatus);
    ctx.counts.identity_documents! += 1;
    noteDocument(ctx, d);
  }

  // Items, built first and written after the crossing history has moved them.
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
    const itemReason = itemStatus === 'suspended' ? 'Calibration certificate expired' : itemStatus === 'rejected' ? 'Not research equipment' : itemStatus === 'revoked' ? 'Sold' : null;
    const submittedBy = itemStatus === 'submitted' ? researcherId : null;
    // Column order of SPEC.items from `name` on is filled per category below.
    let name: string;
    let serial: string | null = null;
    let manufacturer: string | null = null;
    let model: string | null = null;
    let hsCode: string | null = null;
    let valueAmount: number | null = null;
    let valueCurrency: string | null = null;
    let maxDays: number | null = null;
    let currentSide: Side | null = null;
    let quantity: number | null = null;
    let remaining: number | null = null;
    let unit: string | null = null;
    let cas: string | null = null;
    let hazard: string | null = null;
    let bsl: number | null = null;
    let permit: string | null = null;
    let sha: string | null = null;
    let size: number | null = null;
    let classification: string | null = null;
    let approval: string | null = null;
    switch (category) {
      case 'equipment': {
        const m = rng.pick(EQUIPMENT);
        name = `${m.name} (${m.manufacturer} ${m.model})`;
        serial = `${m.serialPrefix}${(ctx.serial++).toString(36).toUpperCase().padStart(8, '0')}`;
        manufacturer = m.manufacturer;
        model = m.model;
        hsCode = m.hsCode;
        valueAmount = rng.between(m.value[0], m.value[1]);
        valueCurrency = home === 'SZ' ? 'CNY' : 'HKD';
        maxDays = rng.pick([30, 60, 90, 180]);
        currentSide = home;
        break;
      }
      case 'reagent': {
        const r = rng.pick(REAGENTS);
        name = r.name;
        quantity = rng.pick([100, 250, 500, 1000]);
        remaining = Math.round(quantity * (0.2 + 0.8 * rng.float()));
        unit = r.unit;
        cas = r.cas;
        hazard = r.hazardClass;
        hsCode = r.hsCode;
        break;
      }
      case 'biological_sample': {
        const s = rng.pick(SAMPLES);
        name = s.name;
        quantity = s.unit === 'mL' ? rng.between(5, 50) : rng.between(1, 24);
        remaining = quantity;
        unit = s.unit;
        bsl = s.bsl;
        permit = s.bsl >= 2 ? `${home === 'SZ' ? 'GDBIO' : 'HKDH'}-2026-${String(rng.int(100_000)).padStart(5, '0')}` : null;
        break;
      }
      default: {
        name = rng.pick(DATASETS);
        sha = rng.hex(64);
        size = rng.between(1_000_000, 500_000_000_000);
        classification = rng.weighted([['public', 40], ['internal', 35], ['personal_information', 15], ['important_data', 10]] as const);
        approval =
          (classification === 'personal_information' || classification === 'important_data') && rng.chance(0.85)
            ? `CAC-2026-${String(rng.int(1_000_000)).padStart(6, '0')}`
            : null;
      }
    }
    pending.push({
      id,
      category,
      status: itemStatus,
      validUntil: itemValidUntil,
      ...(maxDays !== null ? { maxDaysAbroad: maxDays } : {}),
      ...(serial !== null ? { serial } : {}),
      values: [
        id, inst.id, category, name, home, itemStatus, itemReason, itemValidUntil, submittedBy, serial, manufacturer, model, hsCode,
        valueAmount, valueCurrency, maxDays, currentSide, null, quantity, remaining, unit, cas, hazard, bsl, permit, sha, size,
        classification, approval,
      ],
    });
  }

  // A few % of the approved researchers have crossed before, with a laptop or instrument.
  const equipment = pending.find((p) => p.category === 'equipment' && p.status === 'approved' && p.validUntil !== null && dayOf(p.validUntil) >= ctx.today);
  if (
    equipment &&
    status === 'approved' &&
    inst.status === 'active' &&
    validUntil !== null &&
    dayOf(validUntil) >= ctx.today &&
    rng.chance(0.04)
  ) {
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
      batch.item_movements.add(uuid7(movedAt, k + 8, rng), equipment.id, crossingId, inspectionId, 'moved', side, to, returnBy === null ? null : iso(returnBy), iso(movedAt));
      ctx.counts.crossings! += 1;
      ctx.counts.item_movements! += 1;
      side = to;
      t += rng.between(1, 20) * DAY_MS + rng.int(DAY_MS);
    }
    equipment.values[16] = side; // current_side
    equipment.values[17] = side === home || returnBy === null ? null : iso(returnBy); // return_by
    ctx.counts.travellers_with_history! += 1;
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

// ---- indexes around the load ----------------------------------------------------------

interface Rebuild {
  indexes: { name: string; def: string }[];
  constraints: { table: string; name: string; def: string }[];
}

/** Drops the foreign keys, unique constraints and secondary indexes of the bulk tables; returns what rebuilds them. */
async function dropSecondary(client: pg.Client): Promise<Rebuild> {
  const { rows: constraints } = await client.query<{ table: string; name: string; def: string }>(
    `select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as def
       from pg_constraint
      where conrelid = any($1::regclass[]) and contype in ('f', 'u', 'x')
      order by contype desc, conname`,
    [BULK_TABLES],
  );
  for (const c of constraints) await client.query(`alter table ${c.table} drop constraint "${c.name}"`);
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
       from pg_index i
      where i.indrelid = any($1::regclass[]) and not i.indisprimary
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
      order by 1`,
    [BULK_TABLES],
  );
  for (const i of indexes) await client.query(`drop index ${i.name}`);
  return { indexes, constraints };
}

async function rebuildSecondary(client: pg.Client, rebuild: Rebuild, io: SeedIo): Promise<void> {
  for (const i of rebuild.indexes) {
    const t0 = performance.now();
    await client.query(i.def);
    const s = (performance.now() - t0) / 1000;
    if (s >= 1) io.err(`  index ${i.name}: ${s.toFixed(1)} s`);
  }
  // Unique constraints first, foreign keys after (they may need the unique indexes).
  const ordered = [...rebuild.constraints].sort((a, b) => Number(a.def.startsWith('FOREIGN')) - Number(b.def.startsWith('FOREIGN')));
  for (const c of ordered) {
    const t0 = performance.now();
    await client.query(`alter table ${c.table} add constraint "${c.name}" ${c.def}`);
    const s = (performance.now() - t0) / 1000;
    if (s >= 1) io.err(`  constraint ${c.name}: ${s.toFixed(1)} s`);
  }
}

// ---- the command ---------------------------------------------------------------------

function quoteIdent(name: string): string {
  if (!BENCH_DATABASE_RE.test(name)) throw new Error(`refused: ${name} is not a bench database name (hetao_bench_*)`);
  return `"${name}"`;
}

/** Seeds (or finds already seeded) a bench database and returns what is in it. */
export async function seedSynthetic(opts: SeedOptions): Promise<SeedSummary> {
  const { io } = opts;
  const n = opts.researchers;
  if (!Number.isInteger(n) || n < 10 || n > 20_000_000) throw new Error('refused: --researchers must be an integer from 10 to 20,000,000');
  if (opts.env === 'production') throw new Error('refused: seed-synthetic loads a known password and is not for production');
  if (!opts.serverUrl) {
    throw new Error('refused: seed-synthetic needs DATABASE_URL (a Postgres server); the embedded PGlite is not for benchmarks');
  }
  const name = opts.database ?? benchDatabaseName(n);
  quoteIdent(name);
  const url = withDatabaseName(opts.serverUrl, name);
  const seed = opts.seed ?? 20_260_601;
  const sampleFile = sampleFileOf(name);

  const admin = new pg.Client({ connectionString: opts.serverUrl });
  await admin.connect();
  try {
    // One seeder per database name at a time (a bench run waits for a background seed).
    await admin.query('select pg_advisory_lock($1, hashtext($2))', [ADVISORY_NAMESPACE, name]);
    const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount! > 0;
    if (exists && !opts.reset) {
      const marker = await readSeedMarker(url);
      if (marker && marker.researchers === n && marker.generator === GENERATOR_VERSION) {
        const size = await admin.query<{ bytes: string }>('select pg_database_size($1)::text as bytes', [name]);
        return { ...marker, database: name, url, reused: true, sampleFile, databaseBytes: Number(size.rows[0]!.bytes) };
      }
      io.err(`${name} exists but holds no complete seed of ${n} researchers (generator ${GENERATOR_VERSION}): reseeding`);
    }
    const t0 = performance.now();
    const phases: Record<string, number> = {};
    const lap = (() => {
      let last = performance.now();
      return (phase: string) => {
        const now = performance.now();
        phases[phase] = (phases[phase] ?? 0) + (now - last) / 1000;
        last = now;
      };
    })();

    if (exists) await admin.query(`drop database ${quoteIdent(name)} with (force)`);
    await admin.query(`create database ${quoteIdent(name)}`);
    const database = await openDatabase({ url, poolMax: 2, applicationName: 'hetao-seed-synthetic' });
    try {
      await database.migrate();
      lap('create and migrate');

      const loader = new pg.Client({ connectionString: url, application_name: 'hetao-seed-synthetic' });
      await loader.connect();
      try {
        await loader.query(`set synchronous_commit = off`);
        await loader.query(`set maintenance_work_mem = '512MB'`);
        await loader.query(`set statement_timeout = 0`);

        const rng = new Rng(seed);
        const now = new Date();
        const nowMs = now.getTime();
        const today = dayOf(borderDate(now));
        // Ids from a clock two years back: older than anything the service will create.
        const ids = new IdGen(rng, nowMs - 2 * 365 * DAY_MS);

        // Accounts: an officer per checkpoint, a supervisor and an auditor; one argon2 hash for all.
        const { rows: cps } = await loader.query<{ code: string }>('select code from checkpoints order by code');
        const passwordHash = await hashSecret(BENCH_PASSWORD);
        const officers = new Map<string, string>();
        const userRows: [string, string, string, string | null][] = [];
        for (const { code } of cps) {
          const id = ids.next();
          officers.set(code, id);
          userRows.push([id, `bench-officer-${code.toLowerCase()}`, 'officer', code]);
        }
        userRows.push([ids.next(), 'bench-supervisor', 'supervisor', null], [ids.next(), 'bench-auditor', 'auditor', null]);
        await loader.query(
          `insert into users (id, username, password_hash, role, checkpoint)
           select id, username, $5, role, checkpoint from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as u(id, username, role, checkpoint)`,
          [userRows.map((u) => u[0]), userRows.map((u) => u[1]), userRows.map((u) => u[2]), userRows.map((u) => u[3]), passwordHash],
        );
        lap('accounts');

        // Institutions: about one per 500 researchers, on both sides, of uneven size.
        const institutionCount = Math.max(4, Math.round(n / 500));
        const seen = new Set<string>();
        const institutions: InstitutionSpec[] = [];
        const cumulative = new Float64Array(institutionCount);
        let acc = 0;
        for (let i = 0; i < institutionCount; i++) {
          const side: Side = i % 20 < 11 ? 'SZ' : 'HK';
          institutions.push(makeInstitution(rng, i + 1, ids.next(), side, seen));
          const w = 0.2 + rng.float() * 1.8;
          acc += w * w;
          cumulative[i] = acc;
        }
        await loader.query(
          `insert into institutions (id, name, name_zh, side, kind, registration_number, status, status_reason)
           select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
          [
            institutions.map((i) => i.id),
            institutions.map((i) => i.name),
            institutions.map((i) => i.nameZh),
            institutions.map((i) => i.side),
            institutions.map((i) => i.kind),
            institutions.map((i) => i.registrationNumber),
            institutions.map((i) => i.status),
            institutions.map((i) => (i.status === 'suspended' ? 'Licence under review' : null)),
          ],
        );
        lap('institutions');

        const rebuild = opts.withIndexes ? null : await dropSecondary(loader);
        lap('drop indexes');

        const ctx: GeneratorContext = {
          rng,
          ids,
          docs: new DocumentFactory(rng),
          institutions,
          cumulative,
          lastOfInstitution: new Array<string | undefined>(institutionCount),
          officers,
          checkpoints: cps.map((c) => c.code),
          nowMs,
          today,
          serial: 1_000_000,
          sample: [],
          sampleSize: opts.sampleSize ?? 20_000,
          docsSeen: 0,
          counts: {
            institutions: institutionCount,
            users: userRows.length,
            researchers: 0,
            identity_documents: 0,
            items: 0,
            item_custodians: 0,
            crossings: 0,
            item_movements: 0,
            travellers_with_history: 0,
          },
        };

        await loader.query('begin');
        let pending: Promise<void> | undefined;
        let sinceCommit = 0;
        let lastReport = performance.now();
        for (let start = 0; start < n; start += CHUNK) {
          const end = Math.min(n, start + CHUNK);
          const batch = newBatch();
          for (let i = start; i < end; i++) generateResearcher(ctx, batch);
          // Postgres inserts chunk k while this process generates chunk k+1.
          if (pending) await pending;
          if (sinceCommit >= COMMIT_EVERY) {
            await loader.query('commit');
            await loader.query('begin');
            sinceCommit = 0;
          }
          pending = insertBatch(loader, batch);
          pending.catch(() => {}); // awaited below; no unhandled rejection meanwhile
          sinceCommit += end - start;
          if (performance.now() - lastReport > 5000) {
            lastReport = performance.now();
            io.err(`  ${end.toLocaleString('en')} / ${n.toLocaleString('en')} researchers (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
          }
        }
        if (pending) await pending;
        await loader.query('commit');
        lap('load rows');

        // Spot-check the generated numbers with the service's own validators.
        for (const d of ctx.sample.slice(0, 2000)) assertValidDocument(d);

        if (rebuild) {
          await rebuildSecondary(loader, rebuild, io);
          lap('rebuild indexes and constraints');
        }
        for (const table of [...BULK_TABLES, 'institutions', 'users']) await loader.query(`vacuum (analyze) ${table}`);
        lap('vacuum analyze');
        try {
          await loader.query('checkpoint');
        } catch {
          // needs superuser or pg_checkpoint: only spares the benchmark a checkpoint during its first seconds
        }
        lap('checkpoint');

        const counts = ctx.counts;
        const seconds = (performance.now() - t0) / 1000;
        const marker: SeedMarker = {
          generator: GENERATOR_VERSION,
          researchers: n,
          seed,
          counts,
          seconds: Math.round(seconds * 10) / 10,
          phases: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v * 10) / 10])),
          indexMode: rebuild ? 'rebuilt' : 'kept',
          seededAt: now.toISOString(),
        };
        // One event for the whole load: the chain stays verifiable.
        await appendAudit(database.db, {
          actor: 'cli',
          role: 'system',
          action: SEED_ACTION,
          subject: `database:${name}`,
          data: marker as unknown as Record<string, unknown>,
        });
        const chain = await verifyChain(database.db);
        if (!chain.ok) throw new Error(`audit chain does not verify after the seed: ${chain.problem ?? ''}`);

        mkdirSync(BENCH_RESULTS_DIR, { recursive: true });
        writeFileSync(
          sampleFile,
          `${JSON.stringify({ database: name, researchers: n, seededAt: marker.seededAt, documents: ctx.sample }, null, 0)}\n`,
        );
        const size = await admin.query<{ bytes: string }>('select pg_database_size($1)::text as bytes', [name]);
        return { ...marker, database: name, url, reused: false, sampleFile, databaseBytes: Number(size.rows[0]!.bytes) };
      } finally {
        await loader.end();
      }
    } finally {
      await database.close();
    }
  } finally {
    await admin.query('select pg_advisory_unlock($1, hashtext($2))', [ADVISORY_NAMESPACE, name]).catch(() => {});
    await admin.end();
  }
}

/** `npm run cli -- seed-synthetic --researchers N [--database NAME] [--reset] [--with-indexes] [--seed S]` */
export async function seedSyntheticCommand(args: string[], io: SeedIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      researchers: { type: 'string' },
      database: { type: 'string' },
      reset: { type: 'boolean', default: false },
      'with-indexes': { type: 'boolean', default: false },
      seed: { type: 'string' },
    },
  });
  const n = Number(values.researchers?.replace(/[_,]/g, ''));
  if (!values.researchers || !Number.isInteger(n)) {
    io.err('usage: seed-synthetic --researchers N [--database hetao_bench_NAME] [--reset] [--with-indexes] [--seed S]');
    return 2;
  }
  const config = loadConfig();
  try {
    const summary = await seedSynthetic({
      researchers: n,
      database: values.database,
      serverUrl: config.database.url,
      env: config.env,
      reset: values.reset,
      withIndexes: values['with-indexes'],
      ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
      io,
    });
    io.out(
      `${summary.reused ? 'already seeded' : 'seeded'} ${summary.database}: ${Object.entries(summary.counts)
        .map(([k, v]) => `${k} ${v.toLocaleString('en')}`)
        .join(', ')}; ${summary.seconds} s${summary.reused ? ' when seeded' : ''} (${summary.indexMode} indexes); ` +
        `${(summary.databaseBytes / 1024 ** 2).toFixed(0)} MiB; officers bench-officer-<checkpoint> / ${BENCH_PASSWORD}; sample ${summary.sampleFile}`,
    );
    io.out(`phases: ${Object.entries(summary.phases).map(([k, v]) => `${k} ${v} s`).join(', ')}`);
    return 0;
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('refused')) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }
}
