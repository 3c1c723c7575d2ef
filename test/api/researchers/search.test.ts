import t, { type Test } from 'tap';
import type { TestApp } from '../../support/app.js';
import { insertInstitution, insertResearcher } from '../../support/records.js';
import { registryApp } from '../../support/registry.js';

/**
 * Name search on the researcher list: typo-tolerant on Latin names (pg_trgm),
 * substring on Chinese names. pg_trgm's idea of a letter depends on the database
 * locale, so the same scenario runs on the real server (when TEST_DATABASE_URL is
 * set) and on the embedded PGlite, in the same run.
 */


async function pgliteApp(t: Test): Promise<TestApp> {
  const saved = { url: process.env.TEST_DATABASE_URL, kind: process.env.TEST_DATABASE };
  delete process.env.TEST_DATABASE_URL;
  process.env.TEST_DATABASE = 'pglite';
  try {
    return await registryApp(t);
  } finally {
    if (saved.url !== undefined) process.env.TEST_DATABASE_URL = saved.url;
    if (saved.kind !== undefined) process.env.TEST_DATABASE = saved.kind;
    else delete process.env.TEST_DATABASE;
  }
}

async function scenario(t: Test, ctx: TestApp) {
  const admin = await ctx.caller('institution_admin');
  const instId = admin.scope.institutionId!;
  const other = await insertInstitution(ctx.db);
  const people: [string, string | null][] = [
    ['CHAN TAI MAN', '陳大文'],
    ['CHAN SIU MING', '陳小明'],
    ['CHEUNG TAI WAI', '張大偉'],
    ['WONG MEI LING', '黃美玲'],
    ['SMITH JOHN', null],
    ['LI XIAOMING', '李曉明'],
  ];
  const ids = new Map<string, string>();
  for (const [fullName, nameZh] of people) {
    const r = await insertResearcher(ctx.db, { institutionId: instId, fullName, nameZh });
    ids.set(fullName, r.id);
  }
  // The same name at another institution must never show up.
  const foreign = await insertResearcher(ctx.db, { institutionId: other.id, fullName: 'CHAN TAI MAN', nameZh: '陳大文' });

  const search = async (q: string, extra = '') => {
    const res = await ctx.request({
      method: 'GET',
      url: `/v1/institutions/${instId}/researchers?q=${encodeURIComponent(q)}${extra}`,
      token: admin.token,
    });
    t.equal(res.statusCode, 200, res.body);
    const items = res.json().items as { id: string; fullName: string; score: number }[];
    t.notOk(items.some((i) => i.id === foreign.id), `q=${q}: nothing from another institution`);
    return items;
  };

  await t.test('a typo still finds the Latin name, ranked first', async (t) => {
    for (const q of ['CHAN TAI MNA', 'chan tai mna', 'Chan  Tia Man', 'CHAN TAI MAN']) {
      const items = await search(q);
      t.equal(items[0]?.fullName, 'CHAN TAI MAN', `${q} → ${items.map((i) => i.fullName).join(', ')}`);
      t.ok(items[0]!.score > 0 && items[0]!.score <= 1);
      for (let i = 1; i < items.length; i++) t.ok(items[i - 1]!.score >= items[i]!.score, 'ranked by similarity');
    }
    const exact = await search('CHAN TAI MAN');
    t.equal(exact[0]!.score, 1);
  });

  await t.test('Chinese names are found by the whole name and by part of it', async (t) => {
    for (const q of ['陳大文', '大文', '陳 大文']) {
      const items = await search(q);
      t.same(items.map((i) => i.fullName), ['CHAN TAI MAN'], q);
    }
    const chan = await search('陳');
    t.same(chan.map((i) => i.fullName).sort(), ['CHAN SIU MING', 'CHAN TAI MAN']);
    const ming = await search('明');
    t.same(ming.map((i) => i.fullName).sort(), ['CHAN SIU MING', 'LI XIAOMING']);
  });

  await t.test('a surname or a word of the name finds every holder', async (t) => {
    const items = await search('chan');
    t.same(items.map((i) => i.fullName).sort(), ['CHAN SIU MING', 'CHAN TAI MAN']);
    const smith = await search('smiht');
    t.equal(smith[0]?.fullName, 'SMITH JOHN');
  });

  await t.test('nothing similar, nothing found', async (t) => {
    t.same(await search('QQQXXZZ'), []);
    t.same(await search('鄧'), []);
  });

  await t.test('q and status combine; ranked pages follow the cursor without repeats', async (t) => {
    const all = await search('chan tai', '&limit=50');
    t.ok(all.length >= 2);
    const paged: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const res = await ctx.request({
        method: 'GET',
        url: `/v1/institutions/${instId}/researchers?q=${encodeURIComponent('chan tai')}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        token: admin.token,
      });
      t.equal(res.statusCode, 200, res.body);
      paged.push(...res.json().items.map((i: { id: string }) => i.id));
      cursor = res.json().nextCursor;
      if (!cursor) break;
    }
    t.same(paged, all.map((i) => i.id), 'the same order, page by page');

    t.same(await search('chan tai man', '&status=approved'), [], 'nobody is approved yet');
    const nominated = await search('chan tai man', '&status=nominated');
    t.equal(nominated[0]?.id, ids.get('CHAN TAI MAN'));

    const wrongCursor = await ctx.request({
      method: 'GET',
      url: `/v1/institutions/${instId}/researchers?cursor=${Buffer.from('"x"').toString('base64url')}&q=chan`,
      token: admin.token,
    });
    t.equal(wrongCursor.statusCode, 400, 'a list cursor is not a search cursor');
  });

  await t.test('without q: the whole institution by id, in pages', async (t) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 20; guard++) {
      const res = await ctx.request({
        method: 'GET',
        url: `/v1/institutions/${instId}/researchers?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        token: admin.token,
      });
      t.equal(res.statusCode, 200, res.body);
      t.notOk('score' in (res.json().items[0] ?? {}), 'no score without q');
      seen.push(...res.json().items.map((i: { id: string }) => i.id));
      cursor = res.json().nextCursor;
      if (!cursor) break;
    }
    t.equal(seen.length, people.length);
    t.same(seen, [...seen].sort());
  });
}

t.test('name search on the test database', async (t) => {
  const ctx = await registryApp(t);
  t.comment(`source: ${ctx.testDb.source}`);
  await scenario(t, ctx);
});

t.test('name search on PGlite', async (t) => {
  const ctx = await pgliteApp(t);
  t.equal(ctx.testDb.source, 'pglite');
  await scenario(t, ctx);
});
