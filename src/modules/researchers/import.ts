import { readFile } from 'node:fs/promises';
import { type AuditEntry, appendAudit } from '../../audit/chain.js';
import { borderDate } from '../../domain/border.js';
import type { Conn, Db } from '../../db/client.js';
import { type FieldError, ValidationError } from '../../errors.js';
import { uuidv7 } from '../../lib/ids.js';
import { getActiveInstitution } from '../institutions/queries.js';
import { CsvSyntaxError, parseCsv } from './csv.js';
import { registeredDocuments, translateDocumentRace } from './document-queries.js';
import { auditResearcher } from './present.js';
import { insertResearchers } from './queries.js';
import { checkDateOfBirth, checkDocument, checkResearcher, countryKeyOf, documentKey } from './rules.js';
import { dateOfBirthSchema, documentBody, type DocumentInput, type ResearcherInput, researcherBody } from './schemas.js';
import { expandUnknownKeys } from './validation.js';

/**
 * Bulk nomination: a JSON array of researcher bodies, or CSV with one researcher
 * (and one identity document) per row. Every row is validated — schema, document
 * numbers, duplicates within the file and against the whitelist — and either all
 * rows are created in the caller's transaction or none: the 422 lists each bad
 * row by its 1-based data row number and field.
 */

export const CSV_COLUMNS = [
  'fullName',
  'nameZh',
  'dateOfBirth',
  'nationality',
  'email',
  'documentKind',
  'documentNumber',
  'issuingCountry',
  'expiresOn',
] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const OPTIONAL_COLUMNS: ReadonlySet<CsvColumn> = new Set(['nameZh', 'issuingCountry']);

/** More rows than this in one request is a mistake, not an import. */
export const MAX_IMPORT_ROWS = 50_000;

export interface ImportFieldError extends FieldError {
  /** CSV: the line of the file the row starts on (the header is line 1). JSON: the 1-based position in the array. */
  row: number;
  /** The field of the row: a CSV column, or a path in the JSON body (`documents.0.number`). */
  field: string;
}

export interface ImportProgress {
  phase: 'parse' | 'validate' | 'check' | 'insert' | 'audit' | 'done';
  done: number;
  total: number;
}

export interface ImportContext {
  institutionId: string;
  /** Who the audit events name: a user id, `client:<id>` or `cli`. */
  actor: string;
  role: string;
  now: Date;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportResult {
  created: number;
  researchers: { row: number; id: string; fullName: string; nameZh: string | null }[];
}

export type ImportSource = { kind: 'csv'; text: string } | { kind: 'json'; rows: unknown[] };

interface RawRow {
  row: number;
  body: unknown;
  /** Fields already reported while reading the row (a required CSV cell left empty). */
  reported?: string[];
}

interface ValidRow {
  row: number;
  input: ResearcherInput;
}

function fieldError(row: number, field: string, message: string): ImportFieldError {
  return { path: field === '' ? String(row) : `${row}.${field}`, row, field, message };
}

function refused(errors: ImportFieldError[], total: number): ValidationError {
  const sorted = [...errors].sort((a, b) => a.row - b.row);
  const header = sorted.some((e) => e.path.startsWith('header.'));
  const badRows = new Set(sorted.filter((e) => !e.path.startsWith('header.')).map((e) => e.row)).size;
  const parts: string[] = [];
  if (header) parts.push('the CSV header is invalid');
  if (badRows > 0) parts.push(`${badRows} of ${total} rows ${badRows === 1 ? 'is' : 'are'} invalid`);
  return new ValidationError(sorted, `${parts.join('; ')}; nothing was imported`);
}

/** Where a path of the researcher body lives in a CSV row. */
function csvField(path: string): string {
  const m = /^documents(?:\.\d+)?(?:\.(\w+))?/.exec(path);
  if (!m) return path.split('.')[0] ?? path;
  switch (m[1]) {
    case 'kind':
      return 'documentKind';
    case 'issuingCountry':
      return 'issuingCountry';
    case 'expiresOn':
      return 'expiresOn';
    default:
      return 'documentNumber';
  }
}

// ---- reading the rows ------------------------------------------------------------------

export function rowsFromCsv(text: string): { rows: RawRow[]; errors: ImportFieldError[]; total: number } {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) {
      throw new ValidationError([{ path: 'body', message: `is not valid CSV: ${err.message}` }], `The CSV cannot be read: ${err.message}`);
    }
    throw err;
  }
  const [header, ...data] = records;
  if (!header) throw new ValidationError([{ path: 'body', message: 'is empty: a header row and at least one data row are needed' }]);
  const errors: ImportFieldError[] = [];
  const index = new Map<CsvColumn, number>();
  header.fields.forEach((raw, i) => {
    const name = raw.trim();
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      errors.push(fieldError(header.line, name || `column${i + 1}`, `is not a column of the import; the columns are ${CSV_COLUMNS.join(',')}`));
    } else if (index.has(name as CsvColumn)) {
      errors.push(fieldError(header.line, name, 'appears twice in the header'));
    } else {
      index.set(name as CsvColumn, i);
    }
  });
  for (const column of CSV_COLUMNS) {
    if (!index.has(column) && !OPTIONAL_COLUMNS.has(column)) errors.push(fieldError(header.line, column, 'is missing from the header'));
  }
  for (const e of errors) e.path = `header.${e.field}`;
  if (errors.length > 0) throw refused(errors, data.length);

  const rows: RawRow[] = [];
  data.forEach((record) => {
    // Rows are named by the line of the file they start on, as an editor shows it (the header is line 1).
    const row = record.line;
    if (record.fields.length !== header.fields.length) {
      errors.push(fieldError(row, '', `has ${record.fields.length} fields but the header has ${header.fields.length}`));
      return;
    }
    const cell = (c: CsvColumn): string | undefined => {
      const at = index.get(c);
      if (at === undefined) return undefined;
      const v = record.fields[at]!.trim();
      return v === '' ? undefined : v;
    };
    const missing = CSV_COLUMNS.filter((c) => !OPTIONAL_COLUMNS.has(c) && cell(c) === undefined);
    for (const c of missing) errors.push(fieldError(row, c, 'is required'));
    const nameZh = cell('nameZh');
    const issuingCountry = cell('issuingCountry');
    rows.push({
      row,
      ...(missing.length > 0 ? { reported: missing } : {}),
      body: {
        fullName: cell('fullName'),
        ...(nameZh !== undefined ? { nameZh } : {}),
        dateOfBirth: cell('dateOfBirth'),
        nationality: cell('nationality'),
        email: cell('email'),
        documents: [
          {
            kind: cell('documentKind'),
            number: cell('documentNumber'),
            ...(issuingCountry !== undefined ? { issuingCountry } : {}),
            expiresOn: cell('expiresOn'),
          },
        ],
      },
    });
  });
  return { rows, errors, total: data.length };
}

export function rowsFromJson(items: unknown[]): { rows: RawRow[]; errors: ImportFieldError[]; total: number } {
  const rows: RawRow[] = [];
  const errors: ImportFieldError[] = [];
  items.forEach((body, i) => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      errors.push(fieldError(i + 1, '', 'must be a researcher object'));
    } else {
      rows.push({ row: i + 1, body });
    }
  });
  return { rows, errors, total: items.length };
}

// ---- validation ------------------------------------------------------------------------

/**
 * Validates every row on its own (schema, document numbers, dates) and against the
 * rows before it (the same document twice in one file). No database access.
 */
export function validateRows(
  rows: RawRow[],
  format: 'csv' | 'json',
  today: string,
): { valid: ValidRow[]; errors: ImportFieldError[]; documents: RowDocument[] } {
  const mapField = format === 'csv' ? csvField : (p: string) => p;
  const valid: ValidRow[] = [];
  const errors: ImportFieldError[] = [];
  const documents: RowDocument[] = [];
  const firstRowOf = new Map<string, number>();
  for (const { row, body, reported } of rows) {
    const seen = new Set<string>(reported);
    const add = (field: string, message: string) => {
      // One message per field is enough (zod may report a field twice).
      if (seen.has(field)) return;
      seen.add(field);
      errors.push(fieldError(row, field, message));
    };
    const parsed = researcherBody.safeParse(body);
    let bad = !parsed.success;
    if (!parsed.success) {
      for (const issue of expandUnknownKeys(parsed.error.issues)) add(mapField(issue.path.map(String).join('.')), issue.message);
      // The clock's checks on the parts that are valid on their own, so that the row's every fault is listed.
      for (const e of partialChecks(body, today)) add(mapField(e.path), e.message);
    } else {
      const ruleErrors = checkResearcher(parsed.data, today);
      bad = ruleErrors.length > 0;
      for (const e of ruleErrors) add(mapField(e.path), e.message);
    }
    // Duplicates are looked for among the documents of every row, valid or not, so that one answer lists them all.
    const docs = parsed.success ? parsed.data.documents.map((d, i) => ({ i, d })) : parseableDocuments(body);
    for (const { i, d } of docs) {
      const key = documentKey({ kind: d.kind, number: d.number, countryKey: countryKeyOf(d.kind, d.issuingCountry) });
      const field = mapField(`documents.${i}.number`);
      documents.push({ row, field, key });
      const first = firstRowOf.get(key);
      if (first !== undefined && first !== row) {
        add(field, `is the same document as row ${first}`);
        bad = true;
      } else {
        firstRowOf.set(key, row);
      }
    }
    if (!bad && parsed.success) valid.push({ row, input: parsed.data });
  }
  return { valid, errors, documents };
}

/** A document of some row, valid on its own: where it is, and its key. */
interface RowDocument {
  row: number;
  field: string;
  key: string;
}

function parseableDocuments(body: unknown): { i: number; d: DocumentInput }[] {
  const list = (body as { documents?: unknown }).documents;
  if (!Array.isArray(list)) return [];
  return list.flatMap((raw, i) => {
    const doc = documentBody.safeParse(raw);
    return doc.success ? [{ i, d: doc.data }] : [];
  });
}

/** Date checks on the fields of an invalid row that are valid by themselves. */
function partialChecks(body: unknown, today: string): FieldError[] {
  const b = body as { dateOfBirth?: unknown; documents?: unknown };
  const dob = dateOfBirthSchema.safeParse(b.dateOfBirth);
  const errors = dob.success ? checkDateOfBirth(dob.data, today) : [];
  if (Array.isArray(b.documents)) {
    b.documents.forEach((d, i) => {
      const doc = documentBody.safeParse(d);
      if (doc.success) errors.push(...checkDocument(doc.data, today, dob.success ? dob.data : undefined, `documents.${i}.`));
    });
  }
  return errors;
}

/**
 * Rows whose documents the institution has already registered. Other institutions'
 * holders are not looked at (no membership oracle): the supervisor sees them at approval.
 */
async function databaseDuplicates(conn: Conn, institutionId: string, documents: RowDocument[]): Promise<ImportFieldError[]> {
  const keys = documents.map((d) => {
    const [kind, number, countryKey] = d.key.split('\u0000') as [DocumentInput['kind'], string, string];
    return { kind, number, countryKey };
  });
  const taken = await registeredDocuments(conn, institutionId, keys);
  return documents
    .filter((d) => taken.has(d.key))
    .map((d) => fieldError(d.row, d.field, 'is already registered by your institution (DOCUMENT_ALREADY_REGISTERED)'));
}

// ---- the import ------------------------------------------------------------------------

/**
 * The whole import in the caller's transaction: read, validate every row, check the
 * documents against the whitelist, insert in multi-row chunks, and append one audit
 * event per researcher in one append. Throws ValidationError (422) listing every bad
 * row, or 404 / 409 when the institution is missing or suspended.
 */
export async function importResearchers(tx: Conn, source: ImportSource, ctx: ImportContext): Promise<ImportResult> {
  const progress = ctx.onProgress ?? (() => {});
  await getActiveInstitution(tx, ctx.institutionId);

  const read = source.kind === 'csv' ? rowsFromCsv(source.text) : rowsFromJson(source.rows);
  const { total } = read;
  progress({ phase: 'parse', done: total, total });
  if (total === 0) throw new ValidationError([{ path: 'body', message: 'has no rows to import' }]);
  if (total > MAX_IMPORT_ROWS) {
    throw new ValidationError(
      [{ path: 'body', message: `has ${total} rows; at most ${MAX_IMPORT_ROWS} are imported in one request` }],
      `Too many rows: split the file into parts of at most ${MAX_IMPORT_ROWS} rows`,
    );
  }

  const { valid, errors, documents } = validateRows(read.rows, source.kind, borderDate(ctx.now));
  errors.unshift(...read.errors);
  progress({ phase: 'validate', done: total, total });

  errors.push(...(await databaseDuplicates(tx, ctx.institutionId, documents)));
  progress({ phase: 'check', done: total, total });
  if (errors.length > 0) throw refused(errors, total);

  let created;
  try {
    created = await insertResearchers(tx, ctx.institutionId, valid.map((v) => v.input), ctx.now, (done) =>
      progress({ phase: 'insert', done, total }),
    );
  } catch (err) {
    throw translateDocumentRace(err);
  }

  const importId = uuidv7();
  const entries: AuditEntry[] = created.map((c, i) => ({
    actor: ctx.actor,
    role: ctx.role,
    action: 'researcher.nominate',
    subject: `researcher:${c.researcher.id}`,
    data: { after: auditResearcher(c.researcher, c.documents), import: { id: importId, row: valid[i]!.row, format: source.kind } },
  }));
  await appendAudit(tx, entries, ctx.now);
  progress({ phase: 'audit', done: total, total });

  const result = {
    created: created.length,
    researchers: created.map((c, i) => ({ row: valid[i]!.row, id: c.researcher.id, fullName: c.researcher.fullName, nameZh: c.researcher.nameZh })),
  };
  progress({ phase: 'done', done: total, total });
  return result;
}

export interface CsvFileImportOptions {
  institutionId: string;
  file: string;
  /** Audit actor; the CLI by default. */
  actor?: string;
  role?: string;
  now?: () => Date;
  onProgress?: (progress: ImportProgress) => void;
}

/**
 * For the CLI: imports a CSV file in one transaction, all rows or none, reporting
 * progress. Throws ValidationError whose `errors` list every bad row (row, field, message).
 */
export async function importResearchersCsvFile(db: Db, opts: CsvFileImportOptions): Promise<ImportResult> {
  const text = await readFile(opts.file, 'utf8');
  const now = (opts.now ?? (() => new Date()))();
  return db.transaction((tx) =>
    importResearchers(
      tx,
      { kind: 'csv', text },
      {
        institutionId: opts.institutionId,
        actor: opts.actor ?? 'cli',
        role: opts.role ?? 'system',
        now,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      },
    ),
  );
}
