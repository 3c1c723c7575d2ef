// `seed-demo` can be run again at any time (issue 18, item 2): every run prints the same
// logins and adds only what is missing; an account whose username is taken by someone
// else's account is named and the rest of the demo completes; every printed login signs
// in through POST /v1/auth/token.
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { DEMO_PASSWORD, seedDemo } from '../../../src/cli/seed-demo.js';
import { queryRows } from '../../../src/db/client.js';
import { createUser } from '../../../src/modules/users/queries.js';
import { buildTestApp, type TestApp } from '../../support/app.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

/** The login lines: two spaces, username, role. */
function loginsOf(out: string[]): string[] {
  const end = out.findIndex((l) => l.startsWith('travellers:'));
  return out
    .slice(0, end)
    .map((l) => /^ {2}(\S+)\s+(supervisor|auditor|institution_admin|researcher|officer)\s/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);
}

async function signsIn(t: Test, ctx: TestApp, username: string): Promise<void> {
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'password', username, password: DEMO_PASSWORD },
  });
  t.equal(res.statusCode, 200, `${username} signs in with the printed password (${res.statusCode} ${res.statusCode === 200 ? '' : res.body})`);
}

const counts = async (ctx: TestApp) =>
  (
    await queryRows<{ i: number; r: number; it: number; u: number }>(
      ctx.db,
      sql`select (select count(*) from institutions)::int as i, (select count(*) from researchers)::int as r,
                 (select count(*) from items)::int as it, (select count(*) from users)::int as u`,
    )
  )[0]!;

t.test('run twice on one database: both succeed and print the same logins; the second adds nothing', async (t) => {
  const ctx = await buildTestApp(t);
  const first = capture();
  t.equal(await seedDemo(ctx.config, ctx.testDb.database, first.io), 0, `first run (${first.err.join(' ')})`);
  const logins = loginsOf(first.out);
  t.ok(logins.length >= 7, `logins printed: ${logins.join(', ')}`);
  t.ok(logins.includes('demo-supervisor supervisor') && logins.includes('officer-lmc officer'), 'the supervisor and the LMC officer among them');
  t.match(first.out.join('\n'), DEMO_PASSWORD, 'with the password');
  const after = await counts(ctx);

  const second = capture();
  t.equal(await seedDemo(ctx.config, ctx.testDb.database, second.io), 0, `second run (${second.err.join(' ')})`);
  t.same(loginsOf(second.out), logins, 'the same logins, again');
  t.notMatch(second.out.join('\n'), /not available/, 'nothing reported missing');
  t.same(await counts(ctx), after, 'nothing created twice');

  for (const login of logins) await signsIn(t, ctx, login.split(' ')[0]!);
});

t.test('a username taken by another account: the demo completes and names that account', async (t) => {
  const ctx = await buildTestApp(t);
  // Someone already uses officer-lmc, as an auditor.
  await createUser(ctx.db, { username: 'officer-lmc', password: 'not the demo password', role: 'auditor' });
  const run = capture();
  t.equal(await seedDemo(ctx.config, ctx.testDb.database, run.io), 0, `completes (${run.err.join(' ')})`);
  const text = run.out.join('\n');
  const logins = loginsOf(run.out);
  t.notOk(logins.some((l) => l.startsWith('officer-lmc ')), 'officer-lmc is not printed as a login');
  t.ok(logins.includes('officer-szb officer'), 'the other officers are');
  t.ok(logins.includes('hk-admin institution_admin') && logins.includes('chan.taiman researcher'), 'and the rest of the demo');
  t.match(text, /not available \(1\)/, 'one account could not be made');
  t.match(text, /^ {2}officer-lmc\s+the username is taken by an account that is not the demo's \(role auditor\)$/m, 'it is named, with why');
  for (const login of logins) await signsIn(t, ctx, login.split(' ')[0]!);

  // A rerun still completes, with the same answer.
  const again = capture();
  t.equal(await seedDemo(ctx.config, ctx.testDb.database, again.io), 0);
  t.same(loginsOf(again.out), logins, 'the same logins on a rerun');
  t.match(again.out.join('\n'), /^ {2}officer-lmc\s+the username is taken/m);
});

t.test('demo-supervisor taken by a non-supervisor: refused with what to do, nothing created', async (t) => {
  const ctx = await buildTestApp(t);
  await createUser(ctx.db, { username: 'demo-supervisor', password: 'not the demo password', role: 'auditor' });
  const before = await counts(ctx);
  const run = capture();
  t.equal(await seedDemo(ctx.config, ctx.testDb.database, run.io), 1);
  t.match(run.err.join('\n'), /demo-supervisor.*taken by an account with role auditor\. Rename or remove that account, or load the demo into another DATA_DIR or database/);
  t.same(await counts(ctx), before, 'nothing was created');
});
