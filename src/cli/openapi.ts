import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';

export const DEFAULT_OPENAPI_PATH = 'docs/openapi.json';

/**
 * The OpenAPI document exactly as GET /docs/json serves it, built in-process on a
 * throwaway in-memory database: no server, no Postgres, no secrets of any deployment.
 */
export async function generateOpenApi(): Promise<unknown> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hetao-openapi-'));
  const database = await openDatabase({ dataDir: 'memory://' });
  try {
    await database.migrate();
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: randomBytes(48).toString('base64url'),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    });
    const app = await buildApp({ config, database }, { logger: false });
    try {
      return app.swagger();
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `npm run openapi [-- path]`: writes the document (default docs/openapi.json), two-space JSON. */
export async function writeOpenApi(path: string = DEFAULT_OPENAPI_PATH): Promise<string> {
  const target = resolve(path);
  const doc = await generateOpenApi();
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(doc, null, 2)}\n`);
  return target;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.length > 1 || args[0] === '--help' || args[0] === '-h') {
    process.stderr.write('Usage: npm run openapi [-- OUTPUT.json]   (default docs/openapi.json)\n');
    process.exit(args.length > 1 ? 2 : 0);
  }
  writeOpenApi(args[0])
    .then((target) => process.stdout.write(`wrote ${target}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
}
