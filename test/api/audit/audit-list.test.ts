import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { appendAudit } from '../../../src/audit/chain.js';
import { queryRows } from '../../../src/db/client.js';
import { AUDIT_ACTIONS } from '../../../src/modules/audit/actions.js';
import { buildTestApp } from '../../support/app.js';
import { insertInstitution } from '../../support/records.js';

/**
 * The audit log as a person reads it: newest first (order=desc), by username
 * (actorUsername, and on each event), by day at the border (from/to as dates), and
 * an unknown action answered with the list of known ones.
 */

interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  actorUsername: string | null;
  action: string;
  subject: string | null;
}
interface Page {
  items: AuditEvent[];
  nextCursor: string | null;
}

const ctx = await buildTestApp(t);
const auditor = await ctx.caller('auditor');
const sup = await ctx.caller('supervisor');
const tag = randomBytes(4).toString('hex');

const list = async (query: string): Promise<Page> => {
  const res = await ctx.request({ method: 'GET', url: `/v1/audit-events?${query}`, token: auditor.token });
  if (res.statusCode !== 200) throw new Error(`audit-events?${query}: ${res.statusCode} ${res.body}`);
  return res.json<Page>();
};

async function createCheckpoint(): Promise<string> {
  const code = `Q${randomBytes(3).toString('hex').toUpperCase()}`;
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/checkpoints',
    token: sup.token,
    payload: { code, name: `Checkpoint ${code}`, nameZh: '口岸' },
  });
  if (res.statusCode !== 201) throw new Error(`checkpoint: ${res.statusCode} ${res.body}`);
  return code;
}

t.test('order=desc answers newest first and pages backwards; asc stays the default', async (t) => {
  for (let i = 0; i < 3; i++) await createCheckpoint();
  const asc: number[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await list(`limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    asc.push(...page.items.map((e) => e.seq));
    cursor = page.nextCursor;
  } while (cursor);
  t.same(asc, [...asc].sort((a, b) => a - b), 'the default is oldest first');

  const desc: number[] = [];
  cursor = null;
  let pages = 0;
  do {
    const page: Page = await list(`order=desc&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    desc.push(...page.items.map((e) => e.seq));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < 1000);
  t.same(desc, [...asc].reverse(), 'newest first, every event once across pages');
  t.equal((await list('order=desc&limit=1')).items[0]!.seq, Math.max(...asc));

  const desc2 = await list('order=desc&action=checkpoint.create&limit=2');
  t.equal(desc2.items.length, 2);
  t.ok(desc2.items[0]!.seq > desc2.items[1]!.seq, 'a filtered list is newest first too');

  const bad = await ctx.request({ method: 'GET', url: '/v1/audit-events?order=newest', token: auditor.token });
  t.equal(bad.statusCode, 422);
  t.equal(bad.json().errors[0].path, 'order');
});

t.test("each event names its actor's username; actorUsername filters by it", async (t) => {
  const code = await createCheckpoint();
  const [byCheckpoint] = (await list(`subject=checkpoint:${code}`)).items;
  t.equal(byCheckpoint!.actor, sup.userId);
  t.equal(byCheckpoint!.actorUsername, sup.username, 'the username beside the id');

  const mine = await list(`actorUsername=${sup.username}&limit=200`);
  t.ok(mine.items.length >= 2, 'the sign-in and the checkpoint');
  t.ok(mine.items.every((e) => e.actor === sup.userId && e.actorUsername === sup.username));
  t.ok(mine.items.some((e) => e.subject === `checkpoint:${code}`));
  const upper = await list(`actorUsername=${sup.username.toUpperCase()}&limit=200`);
  t.same(upper.items.map((e) => e.seq), mine.items.map((e) => e.seq), 'usernames are case-insensitive, as at sign-in');
  t.same((await list('actorUsername=nobody-at-all')).items, [], 'an unknown username: an empty page');
  t.same((await list(`actorUsername=${sup.username}&actor=${auditor.userId}`)).items, [], 'both filters hold');

  // The service's own actors have no username.
  await appendAudit(ctx.db, { actor: 'cli', role: 'system', action: 'user.bootstrap', subject: `user:${tag}` });
  const [cliEvent] = (await list(`subject=user:${tag}`)).items;
  t.equal(cliEvent!.actor, 'cli');
  t.equal(cliEvent!.actorUsername, null);
});

t.test("an API client's events carry its client_id, and actorUsername finds them by it", async (t) => {
  const inst = await insertInstitution(ctx.db);
  const admin = await ctx.caller('institution_admin', { institutionId: inst.id });
  const created = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: admin.token, payload: { name: 'hr-audit' } });
  t.equal(created.statusCode, 201, created.body);
  const { id, clientId, clientSecret } = created.json<{ id: string; clientId: string; clientSecret: string }>();
  const tokenRes = await ctx.request({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
  });
  t.equal(tokenRes.statusCode, 200);
  const page = await list(`actorUsername=${clientId}`);
  t.equal(page.items.length, 1);
  t.equal(page.items[0]!.action, 'auth.token_issued');
  t.equal(page.items[0]!.actor, `client:${id}`);
  t.equal(page.items[0]!.actorUsername, clientId);
});

t.test('from and to take a date (a day at the border, UTC+8) or an RFC 3339 time', async (t) => {
  const subject = `probe:${tag}`;
  // 23:59:59 on 1 March at the border, and 00:00:00 on 2 March at the border.
  await appendAudit(ctx.db, { actor: 'system', role: 'system', action: 'user.bootstrap', subject, data: { n: 1 } }, new Date('2026-03-01T15:59:59Z'));
  await appendAudit(ctx.db, { actor: 'system', role: 'system', action: 'user.bootstrap', subject, data: { n: 2 } }, new Date('2026-03-01T16:00:00Z'));
  const ats = async (q: string) => (await list(`subject=${subject}&${q}`)).items.map((e) => e.at);
  t.same(await ats('from=2026-03-02'), ['2026-03-01T16:00:00.000Z'], 'from a date: the start of that day at the border');
  t.same(await ats('to=2026-03-01'), ['2026-03-01T15:59:59.000Z'], 'to a date: that whole day at the border, inclusive');
  t.same(await ats('from=2026-03-01&to=2026-03-01'), ['2026-03-01T15:59:59.000Z'], 'one day');
  t.same(await ats('from=2026-03-02&to=2026-03-02'), ['2026-03-01T16:00:00.000Z']);
  t.same(await ats(`from=${encodeURIComponent('2026-03-01T23:59:59+08:00')}`), ['2026-03-01T15:59:59.000Z', '2026-03-01T16:00:00.000Z'], 'a time, with its offset');
  t.same(await ats(`to=${encodeURIComponent('2026-03-01T16:00:00Z')}`), ['2026-03-01T15:59:59.000Z'], 'a time is exclusive');

  for (const [q, path] of [
    ['from=2026-02-30', 'from'],
    ['to=yesterday', 'to'],
    ['from=2026-03-02&to=2026-03-01', 'to'],
  ] as const) {
    const res = await ctx.request({ method: 'GET', url: `/v1/audit-events?${q}`, token: auditor.token });
    t.equal(res.statusCode, 422, q);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.equal(res.json().errors[0].path, path, q);
    if (path === 'from') t.match(res.json().errors[0].message, /YYYY-MM-DD.*RFC 3339/);
  }
});

t.test('an unknown action is a 422 that lists the known actions', async (t) => {
  const res = await ctx.request({ method: 'GET', url: '/v1/audit-events?action=researcher.aprove', token: auditor.token });
  t.equal(res.statusCode, 422);
  t.match(res.headers['content-type'], /application\/problem\+json/);
  const body = res.json<{ detail: string; errors: { path: string; message: string }[] }>();
  t.equal(body.errors[0]!.path, 'action');
  for (const known of ['researcher.approve', 'user.create', 'clearance.lookup', 'crossing.decide']) {
    t.ok(body.errors[0]!.message.includes(known), `lists ${known}`);
    t.ok(body.detail.includes(known), `the detail lists ${known}`);
  }
  t.match(body.detail, /researcher\.aprove/, 'and names what was asked');
  // An action that is in the log is never refused, even one this list does not name.
  await appendAudit(ctx.db, { actor: 'system', role: 'system', action: `legacy.${tag}`, subject: null });
  const legacy = await list(`action=legacy.${tag}`);
  t.equal(legacy.items.length, 1);
  const refused = await ctx.request({ method: 'GET', url: `/v1/audit-events?action=other.${tag}`, token: auditor.token });
  t.match(refused.json().detail, new RegExp(`legacy\\.${tag}`), 'the list includes the actions in the log');
  t.equal((await list('action=researcher.approve')).items.length, 0, 'a known action with no events: an empty page');
});

t.test('every action the source writes is in the list of known actions', async (t) => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk('src');
  const written = new Set<string>();
  const prefixes = new Set<string>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const re of [
      /action:\s*'([a-z_]+\.[a-z_]+)'/g,
      /ACTION\s*=\s*'([a-z_]+\.[a-z_]+)'/g,
      /then '([a-z_]+\.[a-z_]+)' else '([a-z_]+\.[a-z_]+)'/g,
      /audit\([^()']*'([a-z_]+\.[a-z_]+)'/g,
    ]) {
      for (const m of text.matchAll(re)) for (const a of m.slice(1)) if (a) written.add(a);
    }
    for (const m of text.matchAll(/`([a-z_]+)\.\$\{action\}`/g)) prefixes.add(m[1]!);
  }
  t.ok(written.size > 15, `found ${written.size} literal actions`);
  const known = new Set<string>(AUDIT_ACTIONS);
  t.same([...written].filter((a) => !known.has(a)).sort(), [], 'src/modules/audit/actions.ts names every written action');
  for (const p of prefixes) t.ok([...known].some((a) => a.startsWith(`${p}.`)), `actions of ${p}.\${action}`);
});

t.test('the list reads an index in seq order both ways: no sort, no scan of the log', async (t) => {
  for (const [where, index] of [
    ['', 'audit_events_pkey'],
    ["where action = 'nobody'", 'audit_events_action_idx'],
    ["where subject = 'nobody'", 'audit_events_subject_idx'],
    ["where actor = 'nobody'", 'audit_events_actor_idx'],
  ] as const) {
    for (const dir of ['asc', 'desc'] as const) {
      const plan = await ctx.db.transaction(async (tx) => {
        await tx.execute(sql`set local enable_seqscan = off`);
        await tx.execute(sql`set local enable_bitmapscan = off`);
        const rows = await queryRows<Record<string, string>>(tx, sql.raw(`explain select * from audit_events ${where} order by seq ${dir} limit 51`));
        return rows.map((r) => Object.values(r)[0]).join('\n');
      });
      t.match(plan, new RegExp(`Index Scan${dir === 'desc' ? ' Backward' : ''} using ${index}`), `${where || 'all'} ${dir}: ${plan.split('\n')[1] ?? ''}`);
      t.notMatch(plan, /Sort/, `${where || 'all'} ${dir}: no sort`);
    }
  }
});
