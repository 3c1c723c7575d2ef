import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { DataDirInUseError, openDatabase } from './db/client.js';
import { aSupervisor } from './modules/users/queries.js';

/**
 * The process entry: read the configuration, open the database (pg pool when
 * DATABASE_URL is set, embedded PGlite in DATA_DIR otherwise), migrate, listen,
 * and shut down gracefully: in-flight requests finish, then the pool closes.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hetao-clearance: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }

  const database = await openDatabase({
    url: config.database.url,
    readUrl: config.database.readUrl,
    dataDir: config.database.dataDir,
    poolMax: config.database.poolMax,
    connectTimeoutMs: config.database.connectTimeoutMs,
    statementTimeoutMs: config.database.statementTimeoutMs,
  });
  if (config.database.migrateOnStart) await database.migrate();

  const app = await buildApp({ config, database });
  app.log.info(
    { database: database.kind, dataDir: database.kind === 'pglite' ? config.database.dataDir : undefined },
    database.kind === 'pglite' ? 'using the embedded database (PGlite)' : 'using PostgreSQL',
  );
  const supervisor = await aSupervisor(database.db).catch(() => ({ id: '' }));
  if (!supervisor) {
    app.log.warn(
      `no supervisor account exists yet: create the first with \`npm run cli -- bootstrap --username U\` (the password at its prompt or in HETAO_BOOTSTRAP_PASSWORD)${
        database.kind === 'pglite' ? ', with the server stopped (the embedded database is one process)' : ''
      }`,
    );
  }

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
    await database.close();
  });

  await app.listen({ host: config.host, port: config.port });
}

main().catch((err: unknown) => {
  // A data directory another process holds is a situation to explain, not a crash to trace.
  const text = err instanceof DataDirInUseError ? err.message : err instanceof Error ? err.stack ?? err.message : String(err);
  process.stderr.write(`hetao-clearance failed to start: ${text}\n`);
  process.exit(1);
});
