import { AuditSealer } from './audit/sealer.js';
import type { AppDeps } from './deps.js';
import { type ClearanceService, clearanceService } from './modules/clearance/service.js';
import { type ItemService, itemService } from './modules/items/service.js';
import { type UserService, userService } from './modules/users/service.js';
import { type ReportService, reportService } from './modules/reports/service.js';
import { type AuditService, auditService } from './modules/audit/service.js';
import { type AuthService, authService } from './modules/auth/service.js';
import { type HealthService, healthService } from './modules/health/service.js';
import { type CheckpointService, checkpointService } from './modules/checkpoints/service.js';
import { type InstitutionService, institutionService } from './modules/institutions/service.js';
import { type ResearcherService, researcherService } from './modules/researchers/service.js';

/**
 * The composition root: every service, reader and writer is built here once, from the
 * app's dependencies, and handed to the route plugins (which only speak HTTP).
 * Add a module's service here; see docs/architecture.md.
 */
export interface Services {
  /** Seals the audit journal (lookups' and crossings' events) into the chain: kicked by both, awaited by audit reads. */
  sealer: AuditSealer;
  /** The clearance desk: lookups and crossings, with their batching readers and the crossing writer. */
  clearance: ClearanceService;
  items: ItemService;
  users: UserService;
  reports: ReportService;
  /** Reads the audit log and verifies its chain (after sealing the journal). */
  audit: AuditService;
  /** The token grants, with their per-address limit and per-name lockout (in memory, per instance). */
  auth: AuthService;
  health: HealthService;
  checkpoints: CheckpointService;
  institutions: InstitutionService;
  /** The researcher workflow: nomination, import, the status actions and identity documents. */
  researchers: ResearcherService;
  /** Stops what the services run in the background (after the server has stopped taking requests). */
  close(): Promise<void>;
}

export function buildServices(deps: Required<AppDeps>): Services {
  const sealer = new AuditSealer(deps.database.db);
  const closers: (() => Promise<void>)[] = [];
  const clearance = clearanceService({
    db: deps.database.db,
    readDb: deps.database.readDb,
    now: deps.now,
    random: deps.random,
    config: deps.config,
    sealer,
  });
  // The crossings still queued are written before the sealer's last seal (app.ts closes it after these).
  closers.push(() => clearance.close());
  return {
    sealer,
    clearance,
    items: itemService({ db: deps.database.db, readDb: deps.database.readDb, now: deps.now }),
    users: userService({ db: deps.database.db, now: deps.now }),
    reports: reportService({ readDb: deps.database.readDb, now: deps.now }),
    audit: auditService({ db: deps.database.db, sealer }),
    auth: authService({ db: deps.database.db, now: deps.now, config: deps.config }),
    health: healthService({ database: deps.database }),
    checkpoints: checkpointService({ readDb: deps.database.readDb, now: deps.now }),
    institutions: institutionService({ db: deps.database.db, readDb: deps.database.readDb, now: deps.now }),
    researchers: researcherService({ db: deps.database.db, readDb: deps.database.readDb, now: deps.now }),
    async close() {
      for (const close of closers) await close();
    },
  };
}
