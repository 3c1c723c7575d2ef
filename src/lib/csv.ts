/**
 * CSV for spreadsheets, written safely: RFC 4180 quoting, and formula neutralisation per the OWASP
 * "CSV Injection" guidance. A cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return
 * would be run as a formula by Excel, LibreOffice or Google Sheets (`=HYPERLINK(…)`, `+cmd|' /C calc'!A0`):
 * it is prefixed with `'`, which spreadsheets show as text and do not display. The full-width forms
 * (`＝＋－＠`) are neutralised too: spreadsheets in CJK locales read them as formula signs.
 *
 * Input is not refused for this: `-80 °C freezer` is a legitimate item name. Numbers (and booleans) are our
 * own typed values and are written as they are, so `-5` stays a number; the string `"-5"` gets the prefix.
 */

/** A value a cell can show. Dates are written as ISO 8601. */
export type CsvValue = string | number | bigint | boolean | Date | null | undefined;

const FORMULA_START = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: neutralised when it would start a formula, quoted when it holds a comma, a quote or a line break. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'string') text = FORMULA_START.test(value) ? `'${value}` : value;
  else if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'number' && !Number.isFinite(value)) text = '';
  else text = String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, without its line ending. */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(',');
}

export interface CsvOptions {
  /** Column names, written first (neutralised like any cell). */
  header?: readonly string[];
  /** A UTF-8 byte-order mark first, so that Excel reads Chinese text as UTF-8 (default true). */
  bom?: boolean;
}

/** A whole file: CRLF after every record (RFC 4180), header first when given. */
export function toCsv(rows: Iterable<readonly CsvValue[]>, options: CsvOptions = {}): string {
  const lines: string[] = [];
  if (options.header) lines.push(csvRow(options.header));
  for (const row of rows) lines.push(csvRow(row));
  return `${options.bom === false ? '' : '\uFEFF'}${lines.map((l) => `${l}\r\n`).join('')}`;
}
