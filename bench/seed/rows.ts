// Bulk rows: column-wise batches sent as typed arrays (`insert … select * from unnest($1::uuid[], …)`),
// and the secondary indexes and foreign keys dropped during the load and rebuilt after it.
import type pg from 'pg';

export const BULK_TABLES = [
  'researchers',
  'identity_documents',
  'items',
  'item_custodians',
  'crossings',
  'crossing_items',
  'inspections',
  'item_movements',
] as const;

type ColType = 'uuid' | 'text' | 'date' | 'timestamptz' | 'int4' | 'int8' | 'float8' | 'numeric' | 'jsonb' | 'bool';

/** Column-wise rows of one table, inserted as one `unnest` of typed arrays. */
export class Rows {
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

export interface Batch {
  researchers: Rows;
  identity_documents: Rows;
  items: Rows;
  item_custodians: Rows;
  crossings: Rows;
  crossing_items: Rows;
  inspections: Rows;
  item_movements: Rows;
}

export function newBatch(): Batch {
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
export async function insertBatch(client: pg.Client, batch: Batch): Promise<void> {
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

export interface Rebuild {
  indexes: { name: string; def: string }[];
  constraints: { table: string; name: string; def: string }[];
}

/** Drops the foreign keys, unique constraints and secondary indexes of the bulk tables; returns what rebuilds them. */
export async function dropSecondary(client: pg.Client): Promise<Rebuild> {
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

export async function rebuildSecondary(client: pg.Client, rebuild: Rebuild, io: { err(line: string): void }): Promise<void> {
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
