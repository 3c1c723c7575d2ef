import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { buildApp } from '../app.js';
import { appendAudit, verifyChain } from '../audit/chain.js';
import { AuditSealer } from '../audit/sealer.js';
import { ConfigError, loadConfig } from '../config.js';
import { type Database, DataDirInUseError, openDatabase } from '../db/client.js';
import { isDatabaseUnavailable, sqlState } from '../db/errors.js';
import { AppError } from '../errors.js';
import { isUuid } from '../http/pagination.js';
import { userByUsername } from '../modules/auth/queries.js';
import { aSupervisor, createUser, institutionExists, principalOfUser } from '../modules/users/queries.js';
import { createUserBody } from '../modules/users/schemas.js';
import { importResearchersCsvFile, type ImportProgress } from '../modules/researchers/import.js';
import { DemoApiError, seedDemo } from './seed-demo.js';

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
 * configuration and database as the server; with the embedded database, the
 * server holds DATA_DIR/.lock and a command refuses to open it meanwhile.
 */

/** Each command's own usage line, printed with a usage mistake. */
const USAGE = {
  bootstrap: 'bootstrap --username U',
  token: 'token --username U',
  migrate: 'migrate',
  audit: 'audit verify',
  'seed-demo': 'seed-demo',
  import: 'import --institution ID FILE.csv',
} as const;

const HELP = `Usage: npm run cli -- <command> [options]

Commands:
  ${USAGE.bootstrap.padEnd(38)}create the first supervisor (refused when one exists); the password
                                          is typed at a hidden prompt, or read from HETAO_BOOTSTRAP_PASSWORD
  ${USAGE.token.padEnd(38)}print an access token for that account (for scripts)
  ${USAGE.migrate.padEnd(38)}apply pending database migrations
  ${USAGE.audit.padEnd(38)}recompute the audit hash chain; exit 1 when broken
  ${USAGE['seed-demo'].padEnd(38)}load a small demo (two institutions, staff, items, officers) and print
                                          its logins; run it again at any time: it adds only what is missing
  ${USAGE.import.padEnd(38)}nominate every row of a CSV (all rows or none), with a progress bar
  help                                    this text

Every command takes --verbose (the stack trace of an error) and --help.
Exit codes: 0 done, 1 failed (the message says why and what to do), 2 a usage mistake.
`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const stdio: CliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

/** A mistake in the command line: exit 2 with the command's usage. */
class UsageError extends Error {}

/** A refusal whose message already says what is wrong and what to do: exit 1. */
class CliError extends Error {}

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

/** The innermost message (drizzle wraps the database's own in "Failed query: …"). */
function rootMessage(err: unknown): string {
  let e = err as { message?: unknown; cause?: unknown } | undefined;
  while (e && typeof e === 'object' && e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return typeof e?.message === 'string' ? e.message : String(err);
}

/** One line: what went wrong and, where it can be said, what to do. */
function explain(err: unknown): string {
  if (err instanceof CliError || err instanceof DataDirInUseError) return err.message;
  if (err instanceof ConfigError) return `the configuration is not valid: ${err.issues.join('; ')} (README, "Configuration")`;
  if (err instanceof DemoApiError) return `${err.message}. What was loaded so far stays: fix that, then run seed-demo again.`;
  if (err instanceof AppError) {
    const fields = (err.errors ?? []).map((e) => `${e.path} ${e.message}`).join('; ');
    return fields && !err.message.includes(fields) ? `${err.message}: ${fields}` : err.message;
  }
  if (isDatabaseUnavailable(err)) {
    return `cannot reach the database (${rootMessage(err)}): check DATABASE_URL and that the database is running`;
  }
  const errno = err as NodeJS.ErrnoException;
  if (typeof errno.path === 'string') {
    if (errno.code === 'ENOENT') return `no such file or directory: ${errno.path}`;
    if (errno.code === 'EACCES' || errno.code === 'EPERM') return `permission denied: ${errno.path}`;
    if (errno.code === 'EISDIR') return `${errno.path} is a directory, not a file`;
  }
  const state = sqlState(err);
  if (state) return `the database refused it (SQLSTATE ${state}): ${rootMessage(err)} (--verbose prints the stack trace)`;
  return `${err instanceof Error ? err.message : String(err)} (--verbose prints the stack trace)`;
}

/** The stack of an error and of each of its causes. */
function stackOf(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e; depth++) {
    parts.push(e instanceof Error ? e.stack ?? e.message : String(e));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\ncaused by: ');
}

export async function runCli(argv: string[], io: CliIo = stdio): Promise<number> {
  const [command, ...args] = argv;
  const verbose = args.includes('--verbose');
  const rest = args.filter((a) => a !== '--verbose');
  if (command !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(HELP);
    return 0;
  }
  try {
    return await runCommand(command, rest, io);
  } catch (err) {
    // A mistyped option or a missing value: say what and how, no stack trace.
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))) {
      const usage = command !== undefined && command in USAGE ? USAGE[command as keyof typeof USAGE] : undefined;
      // node's parser adds a paragraph on '--' after an unknown option: the option is what matters.
      io.err(`${command}: ${(err as Error).message.replace(/\. To specify a positional argument[\s\S]*$/, '')}`);
      io.err(usage ? `usage: npm run cli -- ${usage}   (npm run cli -- help: every command)` : HELP);
      return 2;
    }
    io.err(`${command}: ${explain(err)}`);
    if (verbose) io.err(stackOf(err));
    return 1;
  }
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the question shows: an answer typed at once is never echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (then: () => void) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      then();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(new CliError('cancelled at the password prompt; nothing was created')));
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The username and password rules of POST /v1/users, applied to the first supervisor. */
const bootstrapBody = createUserBody.pick({ username: true, password: true });

function ruleBroken(result: { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } }): string {
  return result.error.issues.map((i) => `${String(i.path[0] ?? 'input')} ${i.message}`).join('; ');
}

async function bootstrapPassword(): Promise<string> {
  const fromEnv = process.env.HETAO_BOOTSTRAP_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new UsageError('needs a password: set HETAO_BOOTSTRAP_PASSWORD, or run it in a terminal to type it at a hidden prompt');
  }
  const first = await promptHidden('Password for the first supervisor (at least 12 characters): ');
  const again = await promptHidden('The same password again: ');
  if (first !== again) throw new CliError('the two passwords differ; nothing was created: run bootstrap again');
  return first;
}

async function runCommand(command: string | undefined, rest: string[], io: CliIo): Promise<number> {
  switch (command) {
    case 'bootstrap': {
      const { values } = parseArgs({ args: rest, options: { username: { type: 'string' }, password: { type: 'string' } } });
      if (values.password !== undefined) {
        throw new UsageError(
          '--password is not accepted: npm echoes it and the shell keeps it in its history. Type it at the prompt, or set HETAO_BOOTSTRAP_PASSWORD',
        );
      }
      if (!values.username) throw new UsageError('needs --username');
      // The username first, so that nobody types a password for an account that cannot be made.
      const username = bootstrapBody.pick({ username: true }).safeParse({ username: values.username });
      if (!username.success) throw new CliError(`refused: ${ruleBroken(username)} (the rules of POST /v1/users); nothing was created`);
      const body = bootstrapBody.safeParse({ username: values.username, password: await bootstrapPassword() });
      if (!body.success) throw new CliError(`refused: ${ruleBroken(body)} (the rules of POST /v1/users); nothing was created`);
      return withDatabase(async ({ db }) => {
        const created = await db.transaction(async (tx) => {
          const existing = await aSupervisor(tx);
          if (existing) return undefined;
          const user = await createUser(tx, { ...body.data, role: 'supervisor' });
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
          io.err('bootstrap: refused: a supervisor already exists (create further accounts through POST /v1/users)');
          return 1;
        }
        io.out(`created supervisor ${created.username} (${created.id})`);
        return 0;
      });
    }
    case 'token': {
      const { values } = parseArgs({ args: rest, options: { username: { type: 'string' } } });
      if (!values.username) throw new UsageError('needs --username');
      return withDatabase(async (database, config) => {
        const user = await userByUsername(database.db, values.username!.toLowerCase());
        if (!user || user.status !== 'active') {
          io.err(`token: no active account named ${values.username} (a supervisor lists them with GET /v1/users)`);
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
      if (!values.institution) throw new UsageError('needs --institution ID');
      if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'needs the CSV file' : `takes one CSV file, not ${positionals.length}`);
      const file = positionals[0]!;
      const institutionId = values.institution;
      try {
        await access(file, fsConstants.R_OK);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CliError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file} (${code ?? String(err)})`);
      }
      const unknownInstitution = `no institution has the id ${JSON.stringify(institutionId)}: --institution takes an institution's id (a UUID, as GET /v1/institutions lists them)`;
      if (!isUuid(institutionId)) throw new CliError(unknownInstitution);
      return withDatabase(async ({ db }) => {
        if (!(await institutionExists(db, institutionId))) throw new CliError(unknownInstitution);
        const bar = progressBar(io);
        try {
          const result = await importResearchersCsvFile(db, { institutionId, file, onProgress: bar });
          bar({ phase: 'done', done: result.created, total: result.created });
          io.out(`imported ${result.created} researchers (status nominated) into institution ${institutionId}`);
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
      // The synthetic seeder belongs to the benchmark now (bench/seed/).
      throw new CliError('moved to the benchmark: npm run bench:seed -- --researchers N [--database hetao_bench_X] [--reset]');
    case 'seed-demo':
      parseArgs({ args: rest, options: {} });
      return withDatabase((database, config) => seedDemo(config, database, io));
    case 'migrate':
      parseArgs({ args: rest, options: {} });
      return withDatabase(async (database) => {
        await database.migrate();
        io.out(`migrations applied (${database.kind})`);
        return 0;
      });
    case 'audit': {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
      if (positionals.length !== 1 || positionals[0] !== 'verify') {
        throw new UsageError(positionals.length === 0 ? 'needs a subcommand' : `unknown subcommand: ${positionals.join(' ')}`);
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
