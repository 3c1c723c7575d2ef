// The officer's desk in a real browser (Debian's Chromium through playwright-core) against a real
// listening server on the test database: sign-in, scans, the card, declarations, inspection, errors,
// the language switch, accessibility (axe-core) and screenshots of every view in every language.
import { readFileSync, mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { crossings, inspections, researchers, institutions } from '../../src/db/schema.js';
import { queryRows } from '../../src/db/client.js';
import { buildTd3 } from '../../src/domain/documents/mrz.js';
import { buildTestApp, TEST_PASSWORD } from '../support/app.js';
import { insertItem, insertTraveller } from '../support/travellers.js';

// What the page.evaluate callbacks touch in the browser (this file is compiled without the DOM library).
declare const document: { activeElement: unknown; documentElement: { lang: string } };
declare const sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
type Entry = { transferSize: number; encodedBodySize: number; duration: number };
declare const performance: { getEntriesByType(type: string): Entry[]; getEntriesByName(name: string): Entry[] };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const LANGS = ['en', 'zh-Hant-HK', 'zh-Hans-CN'] as const;
const LANGUAGE_LABEL = /^(Language|語言|语言)$/;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

if (!existsSync(CHROMIUM)) {
  // Not skipped: CI installs chromium (.ci/run); a machine without it is told how.
  t.fail(`no Chromium at ${CHROMIUM}: apt-get install -y chromium fonts-noto-cjk (or set CHROMIUM_PATH)`);
  process.exit(1);
}
mkdirSync(SHOTS, { recursive: true });

const ctx = await buildTestApp(t);
await ctx.app.listen({ port: 0, host: '127.0.0.1' });
const address = ctx.app.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const db = ctx.db;

// The officer, at Lok Ma Chau.
const officer = await ctx.caller('officer', { checkpoint: 'LMC' });

// A traveller in good standing with a passport read by MRZ, and two items in custody.
const good = await insertTraveller(db, { side: 'HK', passport: 'E12345678', dateOfBirth: '1985-04-12', nationality: 'CHN', passportExpires: '2034-06-30' });
await db.update(researchers).set({ fullName: 'CHAN TAI MAN', nameZh: '陳大文' }).where(eq(researchers.id, good.researcher.id));
await db.update(institutions).set({ name: 'Hetao Institute of Photonics', nameZh: '河套光子研究所' }).where(eq(institutions.id, good.institutionId));
const laptop = await insertItem(db, good.institutionId, [good.researcher.id], { category: 'equipment', name: 'Laptop XPS 13', homeSide: 'SZ' });
await insertItem(db, good.institutionId, [good.researcher.id], { category: 'reagent', name: 'Ethanol 99%', homeSide: 'SZ', quantity: 500, unit: 'mL' });
const mrz = buildTd3({ issuingState: 'CHN', surname: 'CHAN', givenNames: 'TAI MAN', documentNumber: 'E12345678', nationality: 'CHN', dateOfBirth: '1985-04-12', sex: 'M', expiresOn: '2034-06-30' });
const [mrzLine1, mrzLine2] = mrz.split('\n') as [string, string];

// A suspended traveller, looked up by a typed passport number.
const suspended = await insertTraveller(db, { status: 'suspended', passport: 'K98765432' });
await db.update(researchers).set({ fullName: 'WONG SIU MING', nameZh: '黃小明' }).where(eq(researchers.id, suspended.researcher.id));

const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
t.teardown(() => browser.close());
const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
const page: Page = await context.newPage();
const cspViolations: string[] = [];
page.on('console', (m) => {
  if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
});
page.on('pageerror', (e) => cspViolations.push(`page error: ${e.message}`));

/** No serious or critical axe violation on the page as it stands. */
async function axe(tt: Test, view: string) {
  const results = await page.evaluate(async (src) => {
    if (!(globalThis as { axe?: unknown }).axe) (0, eval)(src);
    const a = (globalThis as unknown as { axe: { run(c: unknown, o: unknown): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe;
    const r = await a.run((globalThis as { document?: unknown }).document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  }, axeSource);
  const bad = results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  tt.same(bad, [], `${view}: no serious or critical axe violations`);
  tt.comment(`axe ${view}: ${results.length === 0 ? 'no violations' : results.map((v) => `${v.id} (${v.impact}, ${v.nodes})`).join(', ')}`);
}

async function switchLanguage(lang: string) {
  await page.getByLabel(LANGUAGE_LABEL).selectOption(lang);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

/** A screenshot of the view in each language, then back to the language it was in. */
async function shootAll(tt: Test, view: string) {
  const was = await page.evaluate(() => document.documentElement.lang);
  for (const lang of LANGS) {
    await switchLanguage(lang);
    await page.screenshot({ path: `${SHOTS}${view}-${lang}.png`, fullPage: true });
  }
  await switchLanguage(was);
  await axe(tt, view);
}

async function scanKeys(...lines: string[]) {
  const box = page.getByLabel(/^(Scan or enter document|掃描或輸入證件|扫描或输入证件)$/);
  await tt_focused(box);
  for (const line of lines) {
    await page.keyboard.type(line, { delay: 0 });
    await page.keyboard.press('Enter');
  }
}
async function tt_focused(box: ReturnType<Page['getByLabel']>) {
  await box.waitFor();
  if (!(await box.evaluate((el) => el === document.activeElement))) throw new Error('the scan input is not focused');
}

t.test('first load: the sign-in page, its headers and its weight', async (tt) => {
  const res = await page.goto(`${base}/desk`);
  tt.equal(new URL(page.url()).pathname, '/desk/', '/desk redirects to /desk/');
  const headers = res!.headers();
  tt.match(headers['content-security-policy'], /script-src 'self'; style-src 'self'/);
  tt.notMatch(headers['content-security-policy'], /unsafe-inline/);
  tt.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  tt.equal(headers['x-content-type-options'], 'nosniff');
  tt.equal(headers['referrer-policy'], 'no-referrer');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  tt.ok(await page.getByLabel('Username').isVisible(), 'Username');
  tt.ok(await page.getByLabel('Password').isVisible(), 'Password');
  const weight = await page.evaluate(() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return { transfer: entries.reduce((n, e) => n + e.transferSize, 0), body: entries.reduce((n, e) => n + e.encodedBodySize, 0), files: entries.length };
  });
  tt.comment(`page weight, first load: ${(weight.transfer / 1024).toFixed(1)} kB transferred (${(weight.body / 1024).toFixed(1)} kB of bodies) in ${weight.files} requests`);
  tt.ok(weight.body > 0, 'the page loaded its files');
  await shootAll(tt, 'signin');
  // The control is named in each language.
  await switchLanguage('zh-Hant-HK');
  tt.ok(await page.getByLabel('語言').isVisible(), '語言');
  tt.ok(await page.getByRole('button', { name: '登入' }).isVisible(), '登入');
  await switchLanguage('zh-Hans-CN');
  tt.ok(await page.getByLabel('语言').isVisible(), '语言');
  await switchLanguage('en');
});

t.test('sign in: wrong password, then the right one; the scan input has the focus', async (tt) => {
  await page.getByLabel('Username').fill(officer.username);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').getByText('Wrong username or password.').waitFor();
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const scan = page.getByLabel('Scan or enter document');
  await scan.waitFor();
  tt.ok(await scan.evaluate((el) => el === document.activeElement), 'the scan input is focused');
  const token = await page.evaluate(() => sessionStorage.getItem('hetao.token'));
  tt.ok(token, 'the token is in sessionStorage');
  tt.notMatch(page.url(), /token|ey[A-Za-z0-9_-]{10}/, 'never in the URL');
  await page.getByText(/at Lok Ma Chau/).waitFor();
  tt.pass('the header names the officer and the checkpoint');
});

t.test('an MRZ typed as keystrokes → the card → declare → CLEARED', async (tt) => {
  await scanKeys(mrzLine1, mrzLine2);
  await page.getByRole('heading', { name: /CHAN TAI MAN/ }).waitFor();
  tt.ok(await page.getByText('In good standing').isVisible(), 'green, in words');
  tt.ok(await page.getByText('Hetao Institute of Photonics').isVisible(), 'the institution');
  tt.ok(await page.getByRole('rowheader', { name: /Laptop XPS 13/ }).isVisible(), 'the item in custody');
  tt.equal(await page.getByLabel('Scan or enter document').inputValue(), '', 'the scan input is empty for the next one');
  const ms = await page.evaluate(() => performance.getEntriesByName('scan-to-card').at(-1)?.duration ?? -1);
  tt.ok(ms >= 0, 'the desk measured Enter → card painted');
  tt.comment(`scan → card painted: ${ms.toFixed(1)} ms (MRZ typed, Enter on the second line)`);
  await shootAll(tt, 'card');
  await page.getByLabel('Declare Laptop XPS 13').check();
  tt.equal(await page.getByLabel('Direction').inputValue(), 'SZ_TO_HK', 'the usual direction (no crossings yet: Shenzhen → Hong Kong)');
  await page.getByRole('button', { name: 'Declare crossing' }).click();
  await page.getByRole('region', { name: 'Decision' }).getByText('CLEARED', { exact: true }).waitFor();
  tt.ok(await page.getByText('Cleared: the traveller may pass').isVisible());
  const rows = await db.select().from(crossings).where(eq(crossings.researcherId, good.researcher.id));
  tt.equal(rows.length, 1, 'one crossing written');
  tt.equal(rows[0]?.decision, 'CLEARED');
  const lines = await queryRows<{ item_id: string }>(db, sql`select item_id from crossing_items where crossing_id = ${rows[0]!.id}::uuid`);
  tt.same(lines.map((l) => l.item_id), [laptop.id], 'with the ticked item');
  await page.getByRole('region', { name: 'Recent crossings' }).getByText('CHAN TAI MAN').waitFor();
  tt.pass('the recent crossings show it');
  await shootAll(tt, 'decision-cleared');
  // Once more, warm (the first lookup of a process pays for its compilation and connections).
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    await scanKeys(mrzLine1, mrzLine2);
    await page.waitForFunction((n) => performance.getEntriesByName('scan-to-card').length >= n, i + 2);
    warm.push(await page.evaluate(() => performance.getEntriesByName('scan-to-card').at(-1)!.duration));
  }
  warm.sort((a, b) => a - b);
  tt.comment(`scan → card painted, warm, 5 scans: median ${warm[2]!.toFixed(1)} ms, max ${warm[4]!.toFixed(1)} ms`);
});

t.test('a suspended traveller → FLAGGED with the reason in 繁體中文; the inspection recorded', async (tt) => {
  await switchLanguage('zh-Hant-HK');
  await page.getByLabel('證件類別').selectOption('passport');
  await scanKeys('K98765432');
  await page.getByRole('heading', { name: /WONG SIU MING/ }).waitFor();
  tt.ok(await page.getByText('將被標記查驗').isVisible(), 'red, in words');
  await page.getByRole('button', { name: '申報過境' }).click();
  const decision = page.getByRole('region', { name: '決定' });
  await decision.getByText('FLAGGED', { exact: true }).waitFor();
  tt.ok(await decision.getByRole('listitem').filter({ hasText: '旅客的白名單資格已被暫停。' }).isVisible(), 'TRAVELLER_SUSPENDED in 繁體中文');
  await shootAll(tt, 'decision-flagged');
  await page.getByLabel('扣留').check();
  await page.getByLabel('備註').fill('證件已交主管覆核');
  await page.getByRole('button', { name: '記錄查驗結果' }).click();
  await page.getByText('已記錄查驗結果：扣留。').waitFor();
  const [row] = await db.select().from(crossings).where(eq(crossings.researcherId, suspended.researcher.id));
  const recorded = await db.select().from(inspections).where(eq(inspections.crossingId, row!.id));
  tt.equal(recorded[0]?.outcome, 'DETAINED', 'the inspection is recorded');
  tt.equal(recorded[0]?.notes, '證件已交主管覆核');
  await shootAll(tt, 'inspection');
  await switchLanguage('en');
});

t.test('a bad check digit is named; not on the whitelist; a QR; the network down', async (tt) => {
  await switchLanguage('en');
  const digit = mrzLine2[9]!;
  const wrong = digit === '0' ? '1' : '0';
  await scanKeys(mrzLine1, mrzLine2.slice(0, 9) + wrong + mrzLine2.slice(10));
  const alert = page.getByRole('alert').filter({ hasText: 'MRZ' });
  await alert.getByText(`MRZ check digit for the document number is wrong (expected ${digit}, found ${wrong})`).waitFor();
  tt.pass('the document number check digit, expected and found');
  await shootAll(tt, 'error-mrz');
  await switchLanguage('zh-Hans-CN');
  await page.getByText(`机读码证件号码的校验位不正确（应为 ${digit}，实为 ${wrong}）`).waitFor();
  tt.pass('… in 简体中文 too');
  await switchLanguage('en');

  await scanKeys('X00000000');
  await page.getByText('Not on the whitelist: no whitelisted researcher holds this document.').waitFor();
  tt.pass('404 in words');

  await scanKeys('HT1:ABCDEF');
  await page.getByText('QR codes are not supported yet.').waitFor();
  tt.pass('HT1: QR');

  await page.route('**/v1/clearance/lookup', (route) => route.abort('internetdisconnected'));
  await scanKeys('E12345678');
  await page.getByText('The service cannot be reached. Check the network, then try again.').waitFor();
  await page.unroute('**/v1/clearance/lookup');
  tt.pass('network down, said plainly');
  await shootAll(tt, 'error-network');
});

t.test('an expired token mid-shift: back to sign-in, the scan kept and looked up after', async (tt) => {
  await switchLanguage('en');
  const claims = await ctx.app.jwt.verify<Record<string, unknown>>(officer.token);
  const expired = ctx.app.jwt.sign(
    { sub: claims.sub, kind: claims.kind, role: claims.role, username: claims.username, checkpoint: claims.checkpoint, iat: Math.floor(Date.now() / 1000) - 7200 } as never,
    { expiresIn: 60 },
  );
  const check = await ctx.request({ method: 'GET', url: '/v1/me', token: expired });
  tt.equal(check.statusCode, 401, 'the server refuses the token');
  await page.evaluate((tok) => sessionStorage.setItem('hetao.token', tok), expired);
  await scanKeys('E12345678');
  await page.getByText('Your session has expired. Sign in again: the scan is kept.').waitFor();
  await shootAll(tt, 'signin-expired');
  await page.getByLabel('Username').fill(officer.username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /CHAN TAI MAN/ }).waitFor();
  tt.pass('the kept scan is looked up once signed in again');
  tt.same(cspViolations, [], 'no CSP violation or script error all along');
});
