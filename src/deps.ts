import type { Config } from './config.js';
import type { Database } from './db/client.js';
import type { Services } from './services.js';

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
  /** The services of src/services.ts, built once. */
  services: Services;
  /** Seals the audit journal into the chain (the same as services.sealer). */
  sealer: Services['sealer'];
}
