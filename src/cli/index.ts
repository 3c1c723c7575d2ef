import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { buildApp } from '../app.js';
import { appendAudit, verifyChain } from '../audit/chain.js';
import { AuditSealer } from '../audit/sealer.js';
import { ConfigError, loadConfig } from '../config.js';
import { type Database, openDatabase } from '../db/client.js';
import { users } from '../db/schema.js';
import { AppError } from '../errors.js';
import { createUser, principalOfUser } from '../modules/users/queries.js';
import { importResearchersCsvFile, type ImportProgress } from '../modules/researchers/import.js';
import { seedDemo } from './seed-demo.js';
import { seedSyntheticCommand } from './seed-synthetic.js';

/** A one-line progress bar on stderr (when it is a terminal), plain phase lines otherwise. */
function progressBar(io: CliIo): (p: ImportProgress) => void {
  const tty = process.stderr.isTTY === true;
  let lastPhase = '';
  return (p) => {
    const pct = p.total > 0 ? Math.min(100, Math.round((p.done / p.total) * 100)) : 100;
    if (tty) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(`\r${p.phase.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${p.done}/${p.total}`);
      if (p.phase === 'done') process.stderr.write('\n');
    } else if (p.phase !== lastPhase) {
      io.err(`${p.phase}: ${p.done}/${p.total}`);
    }
    lastPhase = p.phase;
  };
}

/**
 * Operator commands, run with `npm run cli -- <command>`. They use the same
 * configuration and database as the server; with the embedded database, stop
 * the server first (PGlite is one process).
 */

const HELP = `Usage: npm run cli -- <command> [options]

Commands:
  bootstrap --username U [--password P]   create the first supervisor (refused when one exists);
                                          the password may come from HETAO_BOOTSTRAP_PASSWORD
  token --username U                      print an access token for that account (for scripts)
  migrate                                 apply pending database migrations
  audit verify                            recompute the audit hash chain; exit 1 when broken
  seed-demo                               load a small demo (two institutions, staff, items, officers)
  seed-synthetic --researchers N [--database hetao_bench_X] [--reset]
                                          load a synthetic whitelist of N researchers into a bench database
  import --institution ID FILE.csv        nominate every row of a CSV (all rows or none), with a progress bar
  help                                    this text
`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const stdio: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

async function withDatabase<T>(run: (database: Database, config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase({
    url: config.database.url,
    dataDir: config.database.dataDir,
    poolMax: 2,
    connectTimeoutMs: config.database.connectTimeoutMs,
  });
  try {
    if (config.database.migrateOnStart) await database.migrate();
    return await run(database, config);
  } finally {
    await database.close();
  }
}

export async function runCli(argv: string[], io: CliIo = stdio): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(HELP);
    return 0;
  }
  try {
    return await runCommand(command, rest, io);
  } catch (err) {
    // A mistyped option or a missing value: say what and how, no stack trace.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      io.err(`${command}: ${(err as Error).message}\n${HELP}`);
      return 2;
    }
    throw err;
  }
}

async function runCommand(command: string | undefined, rest: string[], io: CliIo): Promise<number> {
  switch (command) {
    case 'bootstrap': {
      const { values } = parseArgs({ args: rest, options: { username: { type: 'string' }, password: { type: 'string' } } });
      const password = values.password ?? process.env.HETAO_BOOTSTRAP_PASSWORD;
      if (!values.username || !password) {
        io.err('bootstrap needs --username and --password (or HETAO_BOOTSTRAP_PASSWORD)');
        return 2;
      }
      return withDatabase(async ({ db }) => {
        const created = await db.transaction(async (tx) => {
          const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.role, 'supervisor')).limit(1);
          if (existing) return undefined;
          const user = await createUser(tx, { username: values.username!, password, role: 'supervisor' });
          await appendAudit(tx, {
            actor: 'cli',
            role: 'system',
            action: 'user.bootstrap',
            subject: `user:${user.id}`,
            data: { after: { id: user.id, username: user.username, role: user.role } },
          });
          return user;
        });
        if (!created) {
          io.err('refused: a supervisor already exists (create further accounts through POST /v1/users)');
          return 1;
        }
        io.out(`created supervisor ${created.username} (${created.id})`);
        return 0;
      });
    }
    case 'token': {
      const { values } = parseArgs({ args: rest, options: { username: { type: 'string' } } });
      if (!values.username) {
        io.err('token needs --username');
        return 2;
      }
      return withDatabase(async (database, config) => {
        const [user] = await database.db.select().from(users).where(eq(users.username, values.username!.toLowerCase())).limit(1);
        if (!user || user.status !== 'active') {
          io.err(`no active account named ${values.username}`);
          return 1;
        }
        const app = await buildApp({ config, database }, { logger: false });
        try {
          const { token } = app.issueToken(principalOfUser(user));
          await appendAudit(database.db, {
            actor: 'cli',
            role: 'system',
            action: 'auth.token_issued',
            subject: `user:${user.id}`,
            data: { via: 'cli' },
          });
          io.out(token);
        } finally {
          await app.close();
        }
        return 0;
      });
    }
    case 'import': {
      const { values, positionals } = parseArgs({ args: rest, options: { institution: { type: 'string' } }, allowPositionals: true });
      const file = positionals[0];
      if (!values.institution || !file) {
        io.err('usage: import --institution ID FILE.csv');
        return 2;
      }
      return withDatabase(async ({ db }) => {
        const bar = progressBar(io);
        try {
          const result = await importResearchersCsvFile(db, { institutionId: values.institution!, file, onProgress: bar });
          bar({ phase: 'done', done: result.created, total: result.created });
          io.out(`imported ${result.created} researchers (status nominated) into institution ${values.institution}`);
          return 0;
        } catch (err) {
          if (err instanceof AppError) {
            io.err(`import refused, nothing was written: ${err.message}`);
            for (const e of (err.errors ?? []).slice(0, 50)) io.err(`  ${e.path}: ${e.message}`);
            if ((err.errors?.length ?? 0) > 50) io.err(`  … and ${err.errors!.length - 50} more`);
            return 1;
          }
          throw err;
        }
      });
    }
    case 'seed-synthetic':
      return seedSyntheticCommand(rest, io);
    case 'seed-demo':
      return withDatabase((database, config) => seedDemo(config, database, io));
    case 'migrate':
      return withDatabase(async (database) => {
        await database.migrate();
        io.out(`migrations applied (${database.kind})`);
        return 0;
      });
    case 'audit': {
      if (rest[0] !== 'verify') {
        io.err('usage: audit verify');
        return 2;
      }
      return withDatabase(async ({ db }) => {
        // The events of lookups and crossings still in the journal join the chain first, as before an API read.
        await new AuditSealer(db).sealAll();
        const result = await verifyChain(db);
        io.out(JSON.stringify(result));
        if (!result.ok) io.err(`audit chain BROKEN at sequence ${result.firstBadSeq}: ${result.problem ?? ''}`);
        return result.ok ? 0 : 1;
      });
    }
    case undefined:
    case 'help':
    case '--help':
      io.out(HELP);
      return command === undefined ? 2 : 0;
    default:
      io.err(`unknown command: ${command}\n${HELP}`);
      return 2;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  runCli(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
      else if (err instanceof AppError) process.stderr.write(`${err.code}: ${err.message}${err.errors ? ` ${JSON.stringify(err.errors)}` : ''}\n`);
      else process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    });
}
