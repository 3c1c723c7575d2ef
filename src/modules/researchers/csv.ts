/**
 * A small RFC 4180 CSV reader: comma-separated fields, fields in double quotes may
 * hold commas, line breaks and doubled quotes (`""`), records end with CRLF, LF or
 * CR, a UTF-8 byte order mark is dropped, blank lines are skipped and the last
 * record needs no line break.
 */

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    public readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

export interface CsvRecord {
  fields: string[];
  /** The line of the file the record starts on (1-based). */
  line: number;
}

export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let fields: string[] = [];
  let field = '';
  let recordLine = 1;
  let quotedAny = false;

  const endRecord = () => {
    fields.push(field);
    // A blank line is no record; `""` on its own line is one empty field.
    if (!(fields.length === 1 && fields[0] === '' && !quotedAny)) records.push({ fields, line: recordLine });
    fields = [];
    field = '';
    quotedAny = false;
  };

  while (i < n) {
    const c = text[i]!;
    if (c === '"' && field === '') {
      // Quoted field.
      quotedAny = true;
      const startLine = line;
      i += 1;
      let closed = false;
      let start = i;
      let value = '';
      while (i < n) {
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') {
            value += text.slice(start, i + 1);
            i += 2;
            start = i;
            continue;
          }
          value += text.slice(start, i);
          i += 1;
          closed = true;
          break;
        }
        if (q === '\n' || (q === '\r' && text[i + 1] !== '\n')) line += 1;
        i += 1;
      }
      if (!closed) throw new CsvSyntaxError('a quoted field is not closed (missing ")', startLine);
      field = value;
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') {
        throw new CsvSyntaxError('a closing quote must be followed by a comma or the end of the line', line);
      }
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      i += 1;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line += 1;
      recordLine = line;
      continue;
    }
    // Unquoted text up to the next delimiter (a stray quote inside is kept as is).
    let j = i;
    while (j < n) {
      const d = text[j]!;
      if (d === ',' || d === '\r' || d === '\n') break;
      j += 1;
    }
    field += text.slice(i, j);
    i = j;
  }
  if (field !== '' || fields.length > 0 || quotedAny) endRecord();
  return records;
}
