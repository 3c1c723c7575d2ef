// The drizzle schema lives in src/db/schema/, one file per area; this keeps `db/schema.js` imports short.
export * from './schema/index.js';
