import type { AuditSealer } from './audit/sealer.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';

/** What buildApp needs from the outside world; tests pass their own. */
export interface AppDeps {
  config: Config;
  database: Database;
  /** The clock; injectable so that tests can move time. */
  now?: () => Date;
  /** The random source of random inspections; injectable for tests. */
  random?: () => number;
}

export interface ModuleOptions {
  deps: Required<AppDeps>;
  /** Seals the audit journal (lookups' and crossings' events) into the chain: kicked by both, awaited by audit reads. */
  sealer: AuditSealer;
}
