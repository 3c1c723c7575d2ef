// The drizzle schema, one file per area. `drizzle-kit generate` turns changes here into SQL in
// migrations/; hand-written SQL (extensions, triggers, reference data) lives in custom migrations next to them.
export {
  DATA_CLASSIFICATIONS,
  DIRECTIONS,
  DOCUMENT_STATUSES,
  INSPECTION_OUTCOMES,
  ITEM_CATEGORIES,
  ITEM_STATUSES,
} from '../../domain/statuses.js';
export * from './registry.js';
export * from './items.js';
export * from './accounts.js';
export * from './audit.js';
export * from './clearance.js';
