import type { FastifyServerOptions } from 'fastify';
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

export function loggerOptions(
  config: Pick<Config, 'logLevel'>,
  stream?: NodeJS.WritableStream,
): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(stream ? { stream } : {}),
    serializers: {
      req(req: { method: string; url: string; id: string; ip?: string; socket?: { remoteAddress?: string } }) {
        return { method: req.method, url: req.url, ip: req.ip ?? req.socket?.remoteAddress };
      },
    },
  } as FastifyServerOptions['logger'];
}
