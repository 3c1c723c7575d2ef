import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import { type Role } from '../../src/db/schema.js';
import { createUser } from '../../src/modules/users/queries.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { insertInstitution, insertResearcher } from './records.js';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123456789';
export const TEST_PASSWORD = 'correct horse battery staple';

interface Tap {
  teardown(fn: () => unknown): void;
  comment(...args: unknown[]): void;
}

export interface Scope {
  institutionId?: string;
  researcherId?: string;
  checkpoint?: string;
}

export interface Caller {
  token: string;
  userId: string;
  username: string;
  role: Role;
  scope: Scope;
}

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  testDb: TestDatabase;
  config: Config;
  clock: { now: Date; set(d: Date | string): void; advance(ms: number): void };
  /** app.inject with an optional Bearer token and JSON body. */
  request(opts: InjectOptions & { token?: string }): Promise<LightMyRequestResponse>;
  /** Creates an account of the role (and the scope it needs) and signs it in through /v1/auth/token. */
  caller(role: Role, scope?: Scope): Promise<Caller>;
  /** Signs in through the real token endpoint. */
  login(username: string, password?: string): Promise<string>;
}

let seq = 0;

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'hetao-test-')),
    // Limits are off unless a test turns one on: suites sign in many accounts from one address.
    RATE_LIMIT_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    AUTH_FAILURES_PER_USERNAME: '0',
    LOOKUP_RATE_LIMIT_PER_MINUTE: '0',
    ...overrides,
  });
}

export async function buildTestApp(
  t: Tap,
  opts: { env?: Record<string, string>; random?: () => number; logger?: unknown } = {},
): Promise<TestApp> {
  const testDb = await createTestDatabase();
  t.comment(`database: ${testDb.source}`);
  const config = testConfig(opts.env);
  const clock = {
    now: new Date(),
    set(d: Date | string) {
      this.now = new Date(d);
    },
    advance(ms: number) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  let frozen = false;
  const app = await buildApp(
    {
      config,
      database: testDb.database,
      now: () => (frozen ? new Date(clock.now) : new Date()),
      ...(opts.random ? { random: opts.random } : {}),
    },
    { logger: (opts.logger ?? false) as never },
  );
  const realSet = clock.set.bind(clock);
  clock.set = (d) => {
    frozen = true;
    realSet(d);
  };
  const realAdvance = clock.advance.bind(clock);
  clock.advance = (ms) => {
    if (!frozen) {
      frozen = true;
      clock.now = new Date();
    }
    realAdvance(ms);
  };
  t.teardown(async () => {
    await app.close();
    await testDb.drop();
  });

  const db = testDb.database.db;

  const request: TestApp['request'] = (o) => {
    const { token, ...rest } = o;
    const headers = { ...(rest.headers ?? {}) } as Record<string, string>;
    if (token) headers.authorization = `Bearer ${token}`;
    return app.inject({ ...rest, headers });
  };

  const login = async (username: string, password = TEST_PASSWORD) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'password', username, password },
    });
    if (res.statusCode !== 200) throw new Error(`login of ${username} failed: ${res.statusCode} ${res.body}`);
    return res.json<{ access_token: string }>().access_token;
  };

  const caller: TestApp['caller'] = async (role, scope = {}) => {
    const s: Scope = { ...scope };
    if (role === 'institution_admin' && !s.institutionId) s.institutionId = (await insertInstitution(db)).id;
    if (role === 'researcher' && !s.researcherId) {
      const institutionId = s.institutionId ?? (await insertInstitution(db)).id;
      s.researcherId = (await insertResearcher(db, { institutionId })).id;
      s.institutionId = institutionId;
    }
    if (role === 'officer' && !s.checkpoint) s.checkpoint = 'LMC';
    const username = `${role.replace(/_/g, '-')}-${process.pid}-${++seq}`;
    const user = await createUser(db, {
      username,
      password: TEST_PASSWORD,
      role,
      ...(role === 'institution_admin' ? { institutionId: s.institutionId } : {}),
      ...(role === 'researcher' ? { researcherId: s.researcherId } : {}),
      ...(role === 'officer' ? { checkpoint: s.checkpoint } : {}),
    });
    return { token: await login(username), userId: user.id, username, role, scope: s };
  };

  return { app, db, testDb, config, clock, request, caller, login };
}
