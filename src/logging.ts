import type { FastifyServerOptions } from 'fastify';
import pino from 'pino';
import type { Config } from './config.js';

/**
 * Paths pino blanks out. Bodies are never logged by the request logger; these
 * cover anything a handler or an error might attach.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'client_secret',
  '*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'secretHash',
  '*.secretHash',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'mrz',
  '*.mrz',
  'number',
  '*.number',
  'documentNumber',
  '*.documentNumber',
  '*.documents[*].number',
  '*.document.number',
];

/** The fields of a Postgres error that name what failed without repeating any value. */
const PG_FIELDS_KEPT = ['code', 'severity', 'schema', 'table', 'column', 'dataType', 'constraint', 'routine'] as const;

type PgErrorLike = Error & Partial<Record<(typeof PG_FIELDS_KEPT)[number], string>>;

/** A node-postgres or PGlite error: a five-character SQLSTATE and pg's own fields. */
function isPgError(e: unknown): e is PgErrorLike {
  if (!e || typeof e !== 'object') return false;
  const o = e as { code?: unknown; severity?: unknown; routine?: unknown };
  return typeof o.code === 'string' && /^[0-9A-Z]{5}$/.test(o.code) && (typeof o.severity === 'string' || typeof o.routine === 'string');
}

/** The Postgres error in an error's cause chain (drizzle wraps it), if any. */
export function findPgError(err: unknown): PgErrorLike | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    if (isPgError(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Postgres quotes the offending value in its messages (`invalid input syntax for
 * type uuid: "…"`, `value "…" is out of range`): everything from the first quote
 * to the last is cut, whatever quotes the value itself contains. Identifiers go
 * too; the constraint, table and column are logged in their own fields.
 */
export function redactQuoted(message: string): string {
  const first = message.search(/["']/);
  if (first === -1) return message.slice(0, 500);
  const last = Math.max(message.lastIndexOf('"'), message.lastIndexOf("'"));
  const tail = last > first ? message.slice(last + 1) : '';
  return `${message.slice(0, first)}"…"${tail}`.slice(0, 500);
}

/** The `at …` frames of a stack, without the message lines that head it. */
function framesOf(stack: unknown): string {
  return typeof stack === 'string' ? stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n') : '';
}

/**
 * Database errors repeat the values that caused them: drizzle's message and
 * `params` carry the query's parameters, pg's `detail` (`Key (number)=(…) already
 * exists`), `where` (`JSON data, line 1: …`), `hint` and message quote them, and
 * every stack starts with the message. The logged form keeps the SQLSTATE, the
 * constraint, table, column and routine, the SQL text (placeholders, no values)
 * and the stack frames, with the quoted parts of pg's message cut.
 */
export function serializeDatabaseError(err: Error, pgError: PgErrorLike | undefined): Record<string, unknown> {
  const e = err as Error & { query?: unknown };
  const message = redactQuoted(pgError?.message ?? 'database query failed');
  const type = e.constructor?.name && e.constructor.name !== 'Error' ? e.constructor.name : e.name;
  const out: Record<string, unknown> = { type, message };
  if (pgError) for (const key of PG_FIELDS_KEPT) if (typeof pgError[key] === 'string') out[key] = pgError[key];
  if (typeof e.query === 'string') out.query = e.query.slice(0, 2000);
  out.stack = `${type}: ${message}\n${framesOf(e.stack) || framesOf(pgError?.stack)}`;
  return out;
}

/** pino's `err` serializer: database errors without their values, others without `detail` or `params`. */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { query?: unknown; params?: unknown };
  const pgError = findPgError(err);
  if (pgError || e.name === 'DrizzleQueryError' || (typeof e.query === 'string' && Array.isArray(e.params))) {
    return serializeDatabaseError(err, pgError);
  }
  const base = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  delete base.detail;
  delete base.params;
  return base;
}

export function loggerOptions(
  config: Pick<Config, 'logLevel'>,
  stream?: NodeJS.WritableStream,
): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(stream ? { stream } : {}),
    serializers: {
      err: serializeError,
      req(req: { method: string; url: string; id: string; ip?: string; socket?: { remoteAddress?: string } }) {
        return { method: req.method, url: req.url, ip: req.ip ?? req.socket?.remoteAddress };
      },
    },
  } as FastifyServerOptions['logger'];
}
