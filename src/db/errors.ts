// What a database error means, read from node-postgres / PGlite / drizzle errors; HTTP maps these to problems.

/** Error codes of node-postgres / PGlite that mean "the database is not there". */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|database is closed|PGlite is closed|Cannot use a pool after calling end on the pool|the database system is (starting up|shutting down)/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (CONNECTION_ERROR_CODES.has(code)) return true;
  // SQLSTATE class 08 (connection exception), 57P01..57P03 (admin shutdown, crash, cannot connect now)
  if (/^08/.test(code) || /^57P0[123]$/.test(code)) return true;
  if (UNAVAILABLE_MESSAGE.test(message)) return true;
  return e.cause !== undefined && e.cause !== err ? isDatabaseUnavailable(e.cause) : false;
}

/** The SQLSTATE of a database error, looking through drizzle's wrapping. */
export function sqlState(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The name of the constraint a database error violated, looking through drizzle's wrapping. */
export function violatedConstraint(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const constraint = (e as { constraint?: unknown }).constraint;
    if (typeof constraint === 'string') return constraint;
    const m = /unique constraint "([^"]+)"/.exec(String((e as { message?: unknown }).message ?? ''));
    if (m) return m[1];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The kinds of database failure a caller answers differently from a bug. */
export type DatabaseErrorKind = 'unavailable' | 'unique_violation' | 'concurrent_update' | 'statement_timeout';

/** What a database error means, or undefined when it is not one of the known kinds. */
export function databaseErrorKind(err: unknown): DatabaseErrorKind | undefined {
  if (isDatabaseUnavailable(err)) return 'unavailable';
  const state = sqlState(err);
  if (state === '23505') return 'unique_violation';
  // serialization failure, deadlock
  if (state === '40001' || state === '40P01') return 'concurrent_update';
  // query_canceled: statement_timeout
  if (state === '57014') return 'statement_timeout';
  return undefined;
}
