// Issue 17, finding 7: text that lies about itself. Every free-text field (body, query, params) refuses Unicode
// bidirectional controls and other format characters (category Cf, ZWJ/ZWNJ included) with a 422 naming the
// field and the character; plain Chinese and Latin text, and text that merely looks like a spreadsheet formula,
// are accepted. Identity fields are NFKC on the way in: a full-width name or document number is stored, answered
// and found as ASCII, whichever way it came (nomination, JSON or CSV import, PATCH, document add).
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { buildTestApp } from '../../support/app.js';
import { insertTraveller } from '../../support/travellers.js';
import { freshKey, passportRef, postCrossing, postLookup } from '../../support/desk.js';
import { insertResearcher } from '../../support/records.js';
import { assertProblem } from '../../support/http-checks.js';
import { equipmentBody } from '../../support/item-world.js';
import { approve, nominate, researcherBody, uniquePassport } from '../../support/registry.js';

const ctx = await buildTestApp(t);
const sup = await ctx.caller('supervisor');
const admin = await ctx.caller('institution_admin');
const instId = admin.scope.institutionId!;
const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
const custodian = (await insertResearcher(ctx.db, { institutionId: instId, status: 'approved' })).id;

/** A 422 problem whose errors name `path` and say which character was found. */
function assertRefused(t: Test, res: LightMyRequestResponse, path: string, found: RegExp): void {
  const problem = assertProblem(t, res, 422, 'VALIDATION_FAILED');
  const error = problem.errors?.find((e) => e.path === path);
  t.ok(error, `an error names ${path}: ${JSON.stringify(problem.errors)}`);
  t.match(error?.message ?? '', found, `${path}: says what was found`);
  t.match(error?.message ?? '', /remove it/, `${path}: says what to do`);
}

const RLO = '\u202e';
const institutionBody = (over: Record<string, unknown> = {}) => ({
  name: `Probe University ${freshKey()}`,
  nameZh: '香港科技大學（廣州）',
  side: 'HK',
  kind: 'university',
  registrationNumber: `BR ${freshKey().replace(/\W/g, '')}`.slice(0, 60),
  ...over,
});

t.test('format characters are refused in every free-text field, naming it; plain text is not', async (t) => {
  const inst = (payload: object) => ctx.request({ method: 'POST', url: '/v1/institutions', token: sup.token, payload });
  assertRefused(t, await inst(institutionBody({ name: `Evil ${RLO}gpj.exe University` })), 'name', /U\+202E RIGHT-TO-LEFT OVERRIDE/);
  assertRefused(t, await inst(institutionBody({ nameZh: '香港\u2067科技大學' })), 'nameZh', /bidirectional control character \(U\+2067 RIGHT-TO-LEFT ISOLATE\)/);
  assertRefused(t, await inst(institutionBody({ name: 'Zero\u200bWidth University' })), 'name', /invisible formatting character \(U\+200B ZERO WIDTH SPACE\)/);

  const item = (over: Record<string, unknown>) =>
    ctx.request({ method: 'POST', url: `/v1/institutions/${instId}/items`, token: admin.token, payload: equipmentBody([custodian], over) });
  assertRefused(t, await item({ description: `Oil immersion ${RLO}36x` }), 'description', /U\+202E/);
  assertRefused(t, await item({ manufacturer: 'Carl\u00adZeiss' }), 'manufacturer', /U\+00AD SOFT HYPHEN/);
  assertRefused(t, await item({ model: 'Plan\ufeffApo' }), 'model', /U\+FEFF/);

  const researcher = (payload: object) => ctx.request({ method: 'POST', url: `/v1/institutions/${instId}/researchers`, token: admin.token, payload });
  assertRefused(t, await researcher(researcherBody({ fullName: `CHAN ${RLO}NAM IAT` })), 'fullName', /U\+202E/);
  const doc = researcherBody();
  doc.documents[0]!.number = `${doc.documents[0]!.number}\u2060`;
  assertRefused(t, await researcher(doc), 'documents.0.number', /U\+2060 WORD JOINER/);

  // Query parameters and path parameters too.
  const list = await ctx.request({ method: 'GET', url: `/v1/crossings?checkpoint=${encodeURIComponent(`LMC${RLO}`)}`, token: sup.token });
  assertRefused(t, list, 'query.checkpoint', /U\+202E/);
  const search = await ctx.request({ method: 'GET', url: `/v1/researchers?q=${encodeURIComponent('陳\u200d大文')}`, token: sup.token });
  assertRefused(t, search, 'query.q', /U\+200D ZERO WIDTH JOINER/);
  const param = await ctx.request({ method: 'GET', url: `/v1/institutions/${encodeURIComponent(`x${RLO}`)}`, token: sup.token });
  assertRefused(t, param, 'params.id', /U\+202E/);

  // A key is text too; it is named with the character spelt out, not echoed.
  const key = await inst({ ...institutionBody(), [`na${RLO}me`]: 'x' });
  assertRefused(t, key, 'na<U+202E>me', /this key contains a bidirectional control character/);
  t.notOk(key.body.includes(RLO), 'the answer does not carry the control character');

  // A CSV import is one string: the problem says on which line.
  const csv = `fullName,nameZh,dateOfBirth,nationality,email,documentKind,documentNumber,issuingCountry,expiresOn\r\nCHAN${RLO} TAI MAN,,1985-04-12,HKG,c@example.hk,passport,${uniquePassport()},HKG,2040-01-01\r\n`;
  const imported = await ctx.request({
    method: 'POST',
    url: `/v1/institutions/${instId}/researchers/import`,
    token: admin.token,
    headers: { 'content-type': 'text/csv' },
    payload: csv,
  });
  assertRefused(t, imported, 'body', /U\+202E RIGHT-TO-LEFT OVERRIDE\) on line 2/);

  // Plain text, and text that only looks like a formula, is accepted as written.
  const plain = await inst(institutionBody({ name: 'Université de Genève — Campus Biotech' }));
  t.equal(plain.statusCode, 201, plain.body);
  t.equal(plain.json().nameZh, '香港科技大學（廣州）', 'the Chinese name keeps its full-width brackets');
  for (const name of ['-80 °C freezer', '=HYPERLINK("http://x")', '+cmd|\' /C calc\'!A0', '@SUM(1+1)']) {
    const res = await item({ name });
    t.equal(res.statusCode, 201, `${name}: ${res.body.slice(0, 200)}`);
    t.equal(res.json().name, name, `${name}: stored as given (exports neutralise it, not input)`);
  }
});

t.test('inspection notes refuse format characters; plain notes in any script are recorded', async (t) => {
  const trav = await insertTraveller(ctx.db, { status: 'suspended' });
  const crossing = await postCrossing(ctx, officer.token, { checkpoint: 'LMC', direction: 'HK_TO_SZ', traveller: passportRef(trav.passport) });
  t.equal(crossing.statusCode, 201, crossing.body);
  t.equal(crossing.json().decision, 'FLAGGED');
  const inspect = (notes: string) =>
    ctx.request({ method: 'POST', url: `/v1/crossings/${crossing.json().id}/inspection`, token: officer.token, payload: { outcome: 'RELEASED', notes } });
  assertRefused(t, await inspect(`Bag checked ${RLO}ko lla`), 'notes', /U\+202E/);
  assertRefused(t, await inspect('Checked.\nNothing\u2066 found'), 'notes', /U\+2066 LEFT-TO-RIGHT ISOLATE\) on line 2/);
  const plain = await inspect('行李已檢查，無異常。\nBag checked — nothing found; 🧪 sealed.');
  t.equal(plain.statusCode, 201, plain.body);
  t.equal(plain.json().notes, '行李已檢查，無異常。\nBag checked — nothing found; 🧪 sealed.', 'recorded as written');
});

t.test('identity fields are NFKC: full-width in, ASCII stored, answered and found', async (t) => {
  const passport = uniquePassport();
  const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/ /g, '\u3000');
  const body = researcherBody({
    fullName: fullWidth('CHAN TAI MAN'),
    nameZh: '陳大文',
    nationality: fullWidth('HKG'),
    email: fullWidth('Chan.TM@example.hk'),
    documents: [{ kind: 'passport', number: fullWidth(passport), issuingCountry: fullWidth('HKG'), expiresOn: '2035-01-31' }],
  });
  t.equal(body.fullName, 'ＣＨＡＮ　ＴＡＩ　ＭＡＮ', 'the test sends full-width letters');
  const r = await nominate(ctx, admin.token, instId, body);
  const got = (await ctx.request({ method: 'GET', url: `/v1/researchers/${r.id}`, token: sup.token })).json();
  t.match(got, { fullName: 'CHAN TAI MAN', nameZh: '陳大文', nationality: 'HKG', email: 'chan.tm@example.hk' }, 'stored as ASCII');
  t.match(got.documents, [{ number: passport, issuingCountry: 'HKG' }], 'the document number too');

  await approve(ctx, sup.token, r.id);
  const look = await postLookup(ctx, officer.token, passportRef(passport));
  t.equal(look.statusCode, 200, look.body);
  t.equal(look.json().researcher.fullName, 'CHAN TAI MAN', 'the lookup by the ASCII number finds them, spelt in ASCII');

  const search = await ctx.request({ method: 'GET', url: `/v1/researchers?q=${encodeURIComponent('CHAN TAI MAN')}`, token: sup.token });
  t.ok(search.json().items.some((i: { id: string }) => i.id === r.id), 'and the name search by the ASCII name');

  // A compatibility ideograph (U+F907) is the unified one (U+9F9C).
  const compat = await nominate(ctx, admin.token, instId, researcherBody({ fullName: 'KWAI LIN', nameZh: '\uf907林' }));
  const compatGot = (await ctx.request({ method: 'GET', url: `/v1/researchers/${compat.id}`, token: sup.token })).json();
  t.equal(compatGot.nameZh, '\u9f9c林', 'compatibility ideographs folded');

  // The same normalisation on every other way in.
  const patched = await ctx.request({
    method: 'PATCH',
    url: `/v1/researchers/${compat.id}`,
    token: admin.token,
    headers: { 'if-match': compat.etag },
    payload: { fullName: fullWidth('KWAI LAM') },
  });
  t.equal(patched.statusCode, 200, patched.body);
  t.equal(patched.json().fullName, 'KWAI LAM', 'PATCH');

  const added = uniquePassport();
  const doc = await ctx.request({
    method: 'POST',
    url: `/v1/researchers/${compat.id}/documents`,
    token: admin.token,
    payload: { kind: 'passport', number: fullWidth(added), issuingCountry: fullWidth('GBR'), expiresOn: '2035-01-31' },
  });
  t.equal(doc.statusCode, 201, doc.body);
  t.ok(
    doc.json().documents.some((d: { number: string; issuingCountry: string }) => d.number === added && d.issuingCountry === 'GBR'),
    'document add',
  );

  const url = `/v1/institutions/${instId}/researchers/import`;
  const viaJson = await ctx.request({ method: 'POST', url, token: admin.token, payload: [researcherBody({ fullName: fullWidth('LEE SIU LUNG') })] as never });
  t.equal(viaJson.statusCode, 201, viaJson.body);
  const jsonId = viaJson.json().researchers[0].id;
  t.equal((await ctx.request({ method: 'GET', url: `/v1/researchers/${jsonId}`, token: sup.token })).json().fullName, 'LEE SIU LUNG', 'JSON import');

  const csvPassport = uniquePassport();
  const csv = `fullName,nameZh,dateOfBirth,nationality,email,documentKind,documentNumber,issuingCountry,expiresOn\r\n${fullWidth('HO KA YAN')},何嘉欣,1990-01-01,${fullWidth('HKG')},ho@example.hk,passport,${fullWidth(csvPassport)},HKG,2040-01-01\r\n`;
  const viaCsv = await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/csv' }, payload: csv });
  t.equal(viaCsv.statusCode, 201, viaCsv.body);
  const csvGot = (await ctx.request({ method: 'GET', url: `/v1/researchers/${viaCsv.json().researchers[0].id}`, token: sup.token })).json();
  t.match(csvGot, { fullName: 'HO KA YAN', nationality: 'HKG', documents: [{ number: csvPassport }] }, 'CSV import');
});
