import { AuditSealer } from './audit/sealer.js';
import type { AppDeps } from './deps.js';

/**
 * The composition root: every service, reader and writer is built here once, from the
 * app's dependencies, and handed to the route plugins (which only speak HTTP).
 * Add a module's service here; see docs/architecture.md.
 */
export interface Services {
  /** Seals the audit journal (lookups' and crossings' events) into the chain: kicked by both, awaited by audit reads. */
  sealer: AuditSealer;
  /** Stops what the services run in the background (after the server has stopped taking requests). */
  close(): Promise<void>;
}

export function buildServices(deps: Required<AppDeps>): Services {
  const sealer = new AuditSealer(deps.database.db);
  const closers: (() => Promise<void>)[] = [];
  return {
    sealer,
    async close() {
      for (const close of closers) await close();
    },
  };
}
