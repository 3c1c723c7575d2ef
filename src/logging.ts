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

/**
 * Database errors carry the query's parameters (in `params` and inside drizzle's
 * message) and pg's `detail` repeats the offending values: log the SQL, the
 * SQLSTATE and pg's message, never the values.
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { query?: unknown; params?: unknown; cause?: unknown };
  if (e.name === 'DrizzleQueryError' || (typeof e.query === 'string' && Array.isArray(e.params))) {
    const cause = e.cause as { message?: string; code?: string; stack?: string } | undefined;
    return {
      type: e.name,
      message: cause?.message ?? 'database query failed',
      code: cause?.code,
      query: typeof e.query === 'string' ? e.query.slice(0, 2000) : undefined,
      stack: cause?.stack,
    };
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
