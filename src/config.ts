import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import './lib/messages.js';

/**
 * The one place that reads the environment. Everything else receives the typed
 * `Config` object. A bad value stops the start with a message naming the variable.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Postgres's `synchronous_commit` for a lookup's transaction (its journal row), set by
 * the statement itself for that transaction only (set_config, local). `off`: the answer
 * leaves once the audit event has committed — visible to the auditors, in order, kept
 * through a crash of the service — and the WAL writer puts it on disk within
 * wal_writer_delay (200 ms), without the lookup waiting for the disk's flush; every other
 * value waits for the flush as a crossing does (`local`: the primary's only; `on`,
 * `remote_write`, `remote_apply`: also a synchronous replica's, where there is one).
 */
export const LOOKUP_SYNCHRONOUS_COMMIT = ['off', 'local', 'remote_write', 'on', 'remote_apply'] as const;
export type LookupSynchronousCommit = (typeof LOOKUP_SYNCHRONOUS_COMMIT)[number];

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const postgresUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: 'must be a postgres:// or postgresql:// URL',
  })
  .optional();

/** The entries of a comma-separated CORS_ORIGINS value, blanks dropped. */
export function splitOrigins(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/**
 * CORS is closed unless origins are listed, and then open to exactly those: each
 * entry must be an origin written the way a browser sends it in the Origin header
 * (scheme://host[:port], lower-case host, no path, no default port), because it is
 * compared byte for byte. A wildcard is refused outright.
 */
function corsOriginIssues(value: string | undefined): string[] {
  const issues: string[] = [];
  for (const entry of splitOrigins(value)) {
    if (entry.includes('*')) {
      issues.push(
        `must not contain "*" (${JSON.stringify(entry)}): list the exact origins (https://host[:port]) allowed to call the API from a browser; leave it empty to keep CORS closed`,
      );
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin === 'null') {
      issues.push(`entry ${JSON.stringify(entry.slice(0, 100))} is not an origin: write it as https://host[:port]`);
    } else if (url.origin !== entry) {
      issues.push(
        `entry ${JSON.stringify(entry.slice(0, 100))} is not an origin as browsers send it: write ${JSON.stringify(url.origin)} (scheme://host[:port], no path, no trailing slash)`,
      );
    }
  }
  return issues;
}

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(65535).default(3000)),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    DATABASE_URL: postgresUrl,
    READ_DATABASE_URL: postgresUrl,
    DATA_DIR: z.string().trim().min(1).default('./data'),
    DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
    DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
    MIGRATE_ON_START: z
      .enum(['true', 'false', '1', '0'])
      .default('true')
      .transform((v) => v === 'true' || v === '1'),
    JWT_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
      message: 'must be at least 32 characters',
    }),
    JWT_ISSUER: z.string().trim().min(1).default('hetao-clearance'),
    JWT_AUDIENCE: z.string().trim().min(1).default('hetao-clearance-api'),
    TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    RANDOM_INSPECTION_RATE: z.coerce.number().min(0).max(1).default(0),
    LOOKUP_SYNCHRONOUS_COMMIT: z.enum(LOOKUP_SYNCHRONOUS_COMMIT).default('off'),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    IMPORT_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    BODY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    CORS_ORIGINS: optionalString.superRefine((value, ctx) => {
      for (const issue of corsOriginIssues(value)) ctx.addIssue({ code: 'custom', message: issue });
    }),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(3000),
    AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(30),
    AUTH_FAILURES_PER_USERNAME: z.coerce.number().int().min(0).default(10),
    LOOKUP_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(120),
    SERVER_TIMING: z
      .enum(['true', 'false', '1', '0'])
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (!env.JWT_SECRET) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: 'is required when NODE_ENV=production (no default secret is ever used in production)',
        });
      }
      if (!env.DATABASE_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['DATABASE_URL'],
          message: 'is required when NODE_ENV=production (the embedded database is for trying the service out)',
        });
      }
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  host: string;
  port: number;
  logLevel: Env['LOG_LEVEL'];
  database: {
    url: string | undefined;
    readUrl: string | undefined;
    dataDir: string;
    poolMax: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    migrateOnStart: boolean;
  };
  jwt: { secret: string; issuer: string; audience: string; ttlSeconds: number };
  clearance: { randomInspectionRate: number; lookupSynchronousCommit: LookupSynchronousCommit };
  /**
   * serverTiming: answers carry a Server-Timing header (the time inside the service, and the lookup's stages).
   * bodyTimeoutMs: a request (headers and body) that has not arrived in full by then is cut (408).
   */
  http: { bodyLimit: number; importBodyLimit: number; bodyTimeoutMs: number; corsOrigins: string[]; serverTiming: boolean };
  /** Requests allowed per window; 0 switches a limit off. */
  rateLimits: {
    perIpPerMinute: number;
    tokenPerIpPerMinute: number;
    tokenFailuresPerUsername: number;
    lookupsPerOfficerPerMinute: number;
  };
}

export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        // A value of the wrong kind: show a good one, the default ("PORT must be a number, e.g. 3000").
        const fallback = issue.code === 'invalid_type' ? envSchema.shape[name as keyof Env]?.safeParse(undefined) : undefined;
        const example = fallback?.success && fallback.data !== undefined ? `, e.g. ${String(fallback.data)}` : '';
        return `${name || '(environment)'} ${issue.message}${example}`;
      }),
    );
  }
  return result.data;
}

/**
 * Development convenience: outside production a JWT secret is generated once
 * and kept in DATA_DIR so tokens survive a restart. Production must set it.
 */
function devSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const env = parseEnv(source);
  const dataDir = resolve(env.DATA_DIR);
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    database: {
      url: env.DATABASE_URL,
      readUrl: env.READ_DATABASE_URL,
      dataDir,
      poolMax: env.DB_POOL_MAX,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
      migrateOnStart: env.MIGRATE_ON_START,
    },
    jwt: {
      secret: env.JWT_SECRET ?? devSecret(dataDir),
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      ttlSeconds: env.TOKEN_TTL_SECONDS,
    },
    clearance: { randomInspectionRate: env.RANDOM_INSPECTION_RATE, lookupSynchronousCommit: env.LOOKUP_SYNCHRONOUS_COMMIT },
    http: {
      bodyLimit: env.BODY_LIMIT_BYTES,
      importBodyLimit: env.IMPORT_BODY_LIMIT_BYTES,
      bodyTimeoutMs: env.BODY_TIMEOUT_MS,
      corsOrigins: splitOrigins(env.CORS_ORIGINS),
      serverTiming: env.SERVER_TIMING,
    },
    rateLimits: {
      perIpPerMinute: env.RATE_LIMIT_PER_MINUTE,
      tokenPerIpPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
      tokenFailuresPerUsername: env.AUTH_FAILURES_PER_USERNAME,
      lookupsPerOfficerPerMinute: env.LOOKUP_RATE_LIMIT_PER_MINUTE,
    },
  };
}
