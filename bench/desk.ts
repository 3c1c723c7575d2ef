// `npm run bench:desk`: the officer's desk at scale. Seeds (or reuses) a bench database of N researchers on the
// Postgres of DATABASE_URL, starts the service on it, signs an officer in at /desk/ in Debian's Chromium and scans
// documents of the whitelist one after another, reading the desk's own Performance API measure of each:
// Enter on the scan → the card painted ('scan-to-card'). Reports figures; asserts nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { benchArgs } from './args.js';
import { log, start, stopAll, stopAllOnExit } from './run/processes.js';
import { BENCH_PASSWORD, BENCH_RESULTS_DIR, sampleFileOf, seedSynthetic } from './seed/seed.js';

const USAGE = `Usage: npm run bench:desk -- [--researchers N] [--scans K]

Seeds or reuses hetao_bench_<N> (default 100,000) on the Postgres server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres), starts the service on it, and scans K documents (default 40) at
/desk/ in /usr/bin/chromium: Enter → card painted, first scan and warm ones.
`;

interface SampleDocument {
  kind: string;
  number: string;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main(): Promise<void> {
  const values = benchArgs({ researchers: { type: 'string' }, scans: { type: 'string' } }, USAGE, process.argv.slice(2));
  const researchers = Number((values.researchers ?? '100000').replace(/[_,]/g, ''));
  const scans = Number(values.scans ?? '40');
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  stopAllOnExit();

  const seed = await seedSynthetic({ researchers, serverUrl, env: 'development', io: { out: log, err: log } });
  log(`dataset ${seed.database}: ${seed.reused ? 'reused' : 'seeded'}`);
  // Passport numbers may repeat across issuers and the desk sends none: scan the kinds that have one issuer.
  const sample = (JSON.parse(readFileSync(sampleFileOf(seed.database), 'utf8')) as { documents: SampleDocument[] }).documents
    .filter((d) => d.kind !== 'passport')
    .slice(0, scans);

  const dataDir = join(tmpdir(), `hetao-bench-desk-${process.pid}`);
  mkdirSync(dataDir, { recursive: true });
  const service = await start(
    'desk-service',
    'src/server.ts',
    {
      NODE_ENV: 'development',
      DATABASE_URL: seed.url,
      DATA_DIR: dataDir,
      JWT_SECRET: 'bench-desk-secret-bench-desk-secret-0123456789',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      LOOKUP_RATE_LIMIT_PER_MINUTE: '0',
      MIGRATE_ON_START: 'false',
    },
    '/health/ready',
  );

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  try {
    const page = await browser.newPage({ locale: 'en-GB' });
    await page.goto(`${service.base}/desk/`);
    await page.getByLabel('Username').fill('bench-officer-lmc');
    await page.getByLabel('Password').fill(BENCH_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const scan = page.getByLabel('Scan or enter document');
    await scan.waitFor();
    const times: number[] = [];
    let missed = 0;
    for (const doc of sample) {
      const before = await page.evaluate(() => performance.getEntriesByName('scan-to-card').length);
      await page.getByLabel('Document kind').selectOption(doc.kind);
      await scan.fill(doc.number);
      await scan.press('Enter');
      const painted = await page
        .waitForFunction((n) => performance.getEntriesByName('scan-to-card').length > n, before, { timeout: 10_000 })
        .then(() => true)
        .catch(() => false);
      if (!painted) {
        missed += 1;
        continue;
      }
      times.push(await page.evaluate(() => performance.getEntriesByName('scan-to-card').at(-1)!.duration));
    }
    const first = times[0] ?? NaN;
    const warm = times.slice(1).sort((a, b) => a - b);
    const report = {
      researchers,
      database: seed.database,
      scans: times.length,
      missed,
      firstMs: Number(first.toFixed(1)),
      warm: { p50: quantile(warm, 0.5), p95: quantile(warm, 0.95), max: warm.at(-1) },
      at: new Date().toISOString(),
    };
    log(
      `desk at ${researchers.toLocaleString('en')} researchers: Enter → card painted, first ${first.toFixed(1)} ms; ` +
        `warm (${warm.length}) p50 ${report.warm.p50?.toFixed(1)} ms, p95 ${report.warm.p95?.toFixed(1)} ms, ` +
        `max ${report.warm.max?.toFixed(1)} ms${missed ? `; ${missed} scans found no card` : ''}`,
    );
    writeFileSync(join(BENCH_RESULTS_DIR, `desk-${report.at.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await browser.close();
    await stopAll();
  }
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench:desk failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
