// Tamper evidence of the audit log, through the API and the operator's CLI. An
// operator with the power to disable the table's trigger edits one event's data;
// GET /v1/audit-events/verify names that sequence number, and
// `node --import tsx src/cli/index.ts audit verify` against the same database exits
// non-zero printing it. On the intact chain the CLI exits 0. (The foundation tests
// cover other kinds of edit through the API; this is the operator's path.)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { queryRows } from '../../../src/db/client.js';
import { buildTestApp, TEST_JWT_SECRET } from '../../support/app.js';
import { testDatabaseSource } from '../../support/database.js';
import { insertInstitution } from '../../support/records.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// Decided before any database is built: on PGlite the file skips at once, saying why.
if ((await testDatabaseSource()) === 'pglite') {
  t.plan(0, 'the CLI connects with DATABASE_URL: it needs the real server (PGlite lives inside this process), so set TEST_DATABASE_URL');
} else {
  const ctx = await buildTestApp(t);
  const sup = await ctx.caller('supervisor');
  const auditor = await ctx.caller('auditor');

  // Some history: checkpoints, an institution, an API client, a refused sign-in.
  for (let i = 0; i < 4; i++) {
    const res = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, payload: { code: `TMP${i}${process.pid % 1000}`, name: `Tamper ${i}`, nameZh: '篡改' } });
    if (res.statusCode !== 201) throw new Error(`checkpoint ${res.statusCode} ${res.body}`);
  }
  const inst = await insertInstitution(ctx.db);
  await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: sup.token, payload: { name: 'tamper' } });
  await ctx.request({ method: 'POST', url: '/v1/auth/token', payload: { grant_type: 'password', username: sup.username, password: 'wrong-password-here' } });

  interface Verification {
    ok: boolean;
    count: number;
    headHash: string;
    firstBadSeq: number | null;
  }

  async function verifyApi(): Promise<Verification> {
    const res = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: auditor.token });
    if (res.statusCode !== 200) throw new Error(`verify ${res.statusCode} ${res.body}`);
    return res.json<Verification>();
  }

  function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? tmpdir(),
          NODE_ENV: 'test',
          DATABASE_URL: ctx.testDb.url!,
          JWT_SECRET: TEST_JWT_SECRET,
          DATA_DIR: mkdtempSync(join(tmpdir(), 'hetao-cli-')),
          LOG_LEVEL: 'silent',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  const raw = (text: string) => queryRows<Record<string, unknown>>(ctx.db, sql.raw(text));

  t.test('on an intact chain, the CLI says ok and exits 0', async (t) => {
    const api = await verifyApi();
    t.equal(api.ok, true, 'the API says the chain is intact');
    const cli = await runCli(['audit', 'verify']);
    t.equal(cli.code, 0, `exit 0 (${cli.stderr.slice(0, 500)})`);
    const printed = JSON.parse(cli.stdout.trim().split('\n').pop()!) as Verification;
    t.same(printed, { ok: true, count: api.count, headHash: api.headHash, firstBadSeq: null }, 'it prints the same verification as the API');
  });

  t.test('an edited event: the API names its sequence, the CLI exits non-zero printing it', async (t) => {
    const [{ n }] = (await raw('select count(*)::int as n from audit_events')) as [{ n: number }];
    t.ok(n >= 8, `${n} events in the chain`);
    const target = Math.ceil(n / 2);
    const [before] = await raw(`select data::text as data from audit_events where seq = ${target}`);
    const original = String(before!.data);

    await raw('alter table audit_events disable trigger audit_events_no_update_delete');
    try {
      await raw(`update audit_events set data = jsonb_set(data, '{tampered}', '"by an operator"') where seq = ${target}`);
    } finally {
      await raw('alter table audit_events enable trigger audit_events_no_update_delete');
    }
    const refused = await raw(`update audit_events set actor = 'x' where seq = ${target}`).then(
      () => undefined,
      (err: { cause?: { code?: string }; code?: string }) => err.cause?.code ?? err.code,
    );
    t.equal(refused, '42501', 'the trigger is back on: further edits are refused');

    const api = await verifyApi();
    t.equal(api.ok, false, 'the API says the chain is broken');
    t.equal(api.firstBadSeq, target, `and names sequence ${target}`);

    const cli = await runCli(['audit', 'verify']);
    t.not(cli.code, 0, `the CLI exits non-zero (${cli.code})`);
    t.equal(cli.code, 1, 'exit 1: the chain is broken (not a usage or config error)');
    t.match(cli.stderr, new RegExp(`BROKEN at sequence ${target}\\b`), `stderr names sequence ${target}: ${cli.stderr.trim().slice(0, 300)}`);
    const printed = JSON.parse(cli.stdout.trim().split('\n').pop()!) as Verification;
    t.equal(printed.firstBadSeq, target, 'the JSON it prints names it too');
    t.equal(printed.ok, false);

    // Put the row back as it was: the chain verifies again.
    await raw('alter table audit_events disable trigger audit_events_no_update_delete');
    try {
      await raw(`update audit_events set data = '${original.replace(/'/g, "''")}'::jsonb where seq = ${target}`);
    } finally {
      await raw('alter table audit_events enable trigger audit_events_no_update_delete');
    }
    t.equal((await verifyApi()).ok, true, 'restored, the chain verifies again');
  });
}
