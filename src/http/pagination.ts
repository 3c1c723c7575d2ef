import { z } from 'zod';
import { BadRequestError } from '../errors.js';

export const MAX_PAGE_SIZE = 200;

export const pageQuery = {
  // Decimal digits only: z.coerce would read 0x10, 1e1 or " 16" as 16.
  limit: z
    .preprocess(
      (v) => (typeof v === 'string' && /^[0-9]{1,9}$/.test(v) ? Number(v) : v),
      z
        .number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a whole number written in decimal digits' : undefined) })
        .int()
        .min(1)
        .max(MAX_PAGE_SIZE)
        .default(50),
    )
    .describe(`Page size, 1–${MAX_PAGE_SIZE}`),
  cursor: z.string().max(512).optional().describe('The nextCursor of the previous page'),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item).max(MAX_PAGE_SIZE),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });
}

/** Opaque cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through
  }
  throw new BadRequestError('The cursor is not valid for this list', 'INVALID_CURSOR', [
    { path: 'cursor', message: 'is not a cursor returned by this list' },
  ]);
}

export const isString = (v: unknown): v is string => typeof v === 'string' && v.length <= 200;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** For lists keyed by a uuid column: a forged cursor must not reach the database as a uuid it cannot cast. */
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v);
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Fetches limit + 1 rows, returns the page and the cursor of its last row when there are more. */
export function paginate<T>(rows: T[], limit: number, keyOf: (row: T) => unknown): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items[items.length - 1]!)) };
}
