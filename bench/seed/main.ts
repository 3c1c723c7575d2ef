// `npm run bench:seed -- --researchers N`: seeds a bench database (DATABASE_URL names the server).
import { ConfigError, loadConfig } from '../../src/config.js';
import { benchArgs } from '../args.js';
import { BENCH_PASSWORD, seedSynthetic, type SeedIo } from './seed.js';

const USAGE = `Usage: npm run bench:seed -- --researchers N [--database hetao_bench_X] [--reset] [--with-indexes] [--seed S]

Loads a synthetic whitelist of N researchers into a bench database of its own (hetao_bench_<N> by default)
on the Postgres server of DATABASE_URL; a complete seed of the same size is reused unless --reset.

  --researchers N   how many researchers (10 to 20,000,000; 1_000_000 and 1,000,000 are read too)
  --database NAME   the database to seed (must start with hetao_bench_)
  --reset           drop and reseed even when a complete seed is there
  --with-indexes    load with every index and foreign key in place (slower; to measure the difference)
  --seed S          the random seed (default 20260601)
  -h, --help        this text
`;

const stdio: SeedIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

async function main(argv: string[], io: SeedIo = stdio): Promise<number> {
  const values = benchArgs(
    {
      researchers: { type: 'string' },
      database: { type: 'string' },
      reset: { type: 'boolean', default: false },
      'with-indexes': { type: 'boolean', default: false },
      seed: { type: 'string' },
    },
    USAGE,
    argv,
  );
  const n = Number(values.researchers?.replace(/[_,]/g, ''));
  if (!values.researchers || !Number.isInteger(n)) {
    io.err(`--researchers N is required (a whole number)\n\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  try {
    const summary = await seedSynthetic({
      researchers: n,
      database: values.database,
      serverUrl: config.database.url,
      env: config.env,
      reset: values.reset,
      withIndexes: values['with-indexes'],
      ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
      io,
    });
    io.out(
      `${summary.reused ? 'already seeded' : 'seeded'} ${summary.database}: ${Object.entries(summary.counts)
        .map(([k, v]) => `${k} ${v.toLocaleString('en')}`)
        .join(', ')}; ${summary.seconds} s${summary.reused ? ' when seeded' : ''} (${summary.indexMode} indexes); ` +
        `${(summary.databaseBytes / 1024 ** 2).toFixed(0)} MiB; officers bench-officer-<checkpoint> / ${BENCH_PASSWORD}; sample ${summary.sampleFile}`,
    );
    io.out(`phases: ${Object.entries(summary.phases).map(([k, v]) => `${k} ${v} s`).join(', ')}`);
    return 0;
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('refused')) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
