import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import t from 'tap';
import { auditEvents, researchers } from '../../../src/db/schema.js';
import { ValidationError } from '../../../src/errors.js';
import { parseCsv } from '../../../src/modules/researchers/csv.js';
import { type ImportProgress, importResearchersCsvFile } from '../../../src/modules/researchers/import.js';
import { insertInstitution } from '../../support/records.js';
import { hkid, registryApp, researcherBody, uniquePassport } from '../../support/registry.js';

/** Names carry no digits: spell a number in letters. */
const letters = (n: number) => Array.from(String(n).padStart(5, '0'), (d) => 'ABCDEFGHIJ'[Number(d)]).join('');

const HEADER = 'fullName,nameZh,dateOfBirth,nationality,email,documentKind,documentNumber,issuingCountry,expiresOn';

t.test('the CSV reader (RFC 4180)', async (t) => {
  t.same(
    parseCsv('\uFEFFa,b,c\r\n1,"two, with comma","say ""hi"""\r\n').map((r) => r.fields),
    [
      ['a', 'b', 'c'],
      ['1', 'two, with comma', 'say "hi"'],
    ],
    'BOM dropped, CRLF, quoted comma, escaped quotes',
  );
  t.same(parseCsv('a,b\n"line1\r\nline2",x\n\n3,4').map((r) => r.fields), [['a', 'b'], ['line1\r\nline2', 'x'], ['3', '4']], 'newline inside quotes, blank line skipped, no final newline');
  t.same(parseCsv('a,b\n"line1\nline2",x\n3,4\n').map((r) => r.line), [1, 2, 4], 'records know their starting line');
  t.same(parseCsv('a,,""\r\n').map((r) => r.fields), [['a', '', '']], 'empty and empty quoted fields');
  t.same(parseCsv('x\r""\r').map((r) => r.fields), [['x'], ['']], 'old Mac line endings; a quoted empty line is a record');
  t.same(parseCsv(''), []);
  t.throws(() => parseCsv('a,b\n"open,x\n'), /line 2: a quoted field is not closed/);
  t.throws(() => parseCsv('a\n"x"y\n'), /closing quote must be followed/);
});

t.test('bulk import', async (t) => {
  const ctx = await registryApp(t);
  const sup = await ctx.caller('supervisor');
  const admin = await ctx.caller('institution_admin');
  const instId = admin.scope.institutionId!;
  const url = `/v1/institutions/${instId}/researchers/import`;
  const total = async () => Number((await ctx.db.select({ n: count() }).from(researchers))[0]!.n);

  await t.test('CSV with a BOM, CRLF and quoted fields: 201 with each row and its id', async (t) => {
    const p1 = uniquePassport();
    const text =
      '\uFEFF' +
      [
        HEADER,
        `"o'brien,  sean",,1979-03-01,irl,Sean.OBrien@example.ie,passport,${p1},IRL,2034-12-31`,
        `CHAN TAI MING,陳大明,1985-04-12,HKG,ctm@example.hk,hkid,"${hkid(111111).slice(0, 7)}(${hkid(111111).slice(7)})",,2040-01-01`,
        `"WANG  XIAO ""HONG"" LI",王小紅,1949-12-31,CHN,wxl@example.cn,prc_id,11010519491231002x,,2040-01-01`,
      ].join('\r\n') +
      '\r\n';
    const before = await total();
    const res = await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/csv' }, payload: text });
    // Row 3 has a quote inside a Latin name: not a name in a travel document.
    t.equal(res.statusCode, 422, res.body);
    // Rows are named by their line in the file: the header is line 1.
    t.same(res.json().errors, [{ path: '4.fullName', row: 4, field: 'fullName', message: res.json().errors[0].message }]);
    t.match(res.json().detail, /1 of 3 rows is invalid; nothing was imported/);
    t.equal(await total(), before, 'nothing was created');

    const fixed = text.replace('"WANG  XIAO ""HONG"" LI"', '"WANG  XIAO HONG LI"');
    const ok = await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/csv; charset=utf-8' }, payload: fixed });
    t.equal(ok.statusCode, 201, ok.body);
    t.equal(ok.json().created, 3);
    t.same(ok.json().researchers.map((r: { row: number }) => r.row), [2, 3, 4]);
    t.same(
      ok.json().researchers.map((r: { fullName: string; nameZh: string | null }) => [r.fullName, r.nameZh]),
      [["O'BRIEN, SEAN", null], ['CHAN TAI MING', '陳大明'], ['WANG XIAO HONG LI', '王小紅']],
      'the answer names who was nominated',
    );
    t.equal(await total(), before + 3);
    const [first, second, third] = ok.json().researchers as { id: string }[];
    const r1 = (await ctx.request({ method: 'GET', url: `/v1/researchers/${first!.id}`, token: admin.token })).json();
    t.equal(r1.fullName, "O'BRIEN, SEAN");
    t.equal(r1.nameZh, null);
    t.equal(r1.nationality, 'IRL');
    t.equal(r1.email, 'sean.obrien@example.ie');
    t.equal(r1.status, 'nominated');
    const r2 = (await ctx.request({ method: 'GET', url: `/v1/researchers/${second!.id}`, token: admin.token })).json();
    t.same([r2.documents[0].number, r2.documents[0].issuingCountry], [hkid(111111), 'HKG']);
    const r3 = (await ctx.request({ method: 'GET', url: `/v1/researchers/${third!.id}`, token: admin.token })).json();
    t.equal(r3.documents[0].number, '11010519491231002X');
    t.equal(r3.nameZh, '王小紅');

    const events = await ctx.db.select().from(auditEvents).where(eq(auditEvents.subject, `researcher:${first!.id}`));
    t.equal(events.length, 1);
    t.equal(events[0]!.action, 'researcher.nominate');
    t.match(events[0]!.data, { import: { row: 2, format: 'csv' }, after: { fullName: "O'BRIEN, SEAN" } });
  });

  await t.test('JSON array of researcher bodies', async (t) => {
    const res = await ctx.request({ method: 'POST', url, token: admin.token, payload: [researcherBody(), researcherBody({ nameZh: '李四' })] as never });
    t.equal(res.statusCode, 201, res.body);
    t.equal(res.json().created, 2);
  });

  await t.test('a file with bad rows: 422 listing every bad row and field; nothing created', async (t) => {
    const taken = uniquePassport();
    await ctx.request({
      method: 'POST',
      url: `/v1/institutions/${instId}/researchers`,
      token: admin.token,
      payload: researcherBody({ documents: [{ kind: 'passport', number: taken, issuingCountry: 'GBR', expiresOn: '2040-01-01' }] }),
    });
    const repeated = uniquePassport();
    const lines = [
      HEADER,
      `GOOD ONE,,1980-01-01,GBR,g1@example.com,passport,${repeated},GBR,2040-01-01`,
      `BAD HKID,,1980-01-01,HKG,bh@example.com,hkid,A1234564,,2040-01-01`,
      `ON FILE,,1980-01-01,GBR,of@example.com,passport,${taken},GBR,2040-01-01`,
      `MANY FAULTS,,1980-13-01,XXZ,,passport,${uniquePassport()},GBR,2001-01-01`,
      `SAME AGAIN,,1980-01-01,GBR,sa@example.com,passport,${repeated.toLowerCase()},gbr,2040-01-01`,
      `SHORT ROW,,1980-01-01`,
      `GOOD TWO,,1980-01-01,GBR,g2@example.com,hk_macao_permit,CA1234567,,2040-01-01`,
    ];
    const before = await total();
    const res = await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/csv' }, payload: lines.join('\n') });
    t.equal(res.statusCode, 422, res.body);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    const body = res.json();
    t.equal(body.code, 'VALIDATION_FAILED');
    t.equal(body.detail, '5 of 7 rows are invalid; nothing was imported');
    t.same(
      body.errors.map((e: { path: string }) => e.path),
      ['3.documentNumber', '4.documentNumber', '5.email', '5.dateOfBirth', '5.nationality', '5.expiresOn', '6.documentNumber', '7'],
    );
    for (const e of body.errors) {
      t.equal(e.path, e.field ? `${e.row}.${e.field}` : String(e.row), 'path is <row>.<field>');
      t.type(e.message, 'string');
    }
    t.match(body.errors.find((e: { row: number }) => e.row === 6).message, /same document as row 2/);
    t.match(body.errors.find((e: { row: number }) => e.row === 4).message, /already registered/);
    t.match(body.errors.find((e: { row: number }) => e.row === 7).message, /has 3 fields but the header has 9/);
    t.equal(await total(), before, 'the researcher count is unchanged');

    const json = await ctx.request({
      method: 'POST',
      url,
      token: admin.token,
      payload: [researcherBody(), { ...researcherBody(), status: 'approved' }, 'nonsense', researcherBody({ documents: [{ kind: 'hkid', number: 'Z', expiresOn: '2040-01-01' }] })] as never,
    });
    t.equal(json.statusCode, 422, json.body);
    t.same(
      json.json().errors.map((e: { path: string }) => e.path),
      ['2.status', '3', '4.documents.0.number'],
    );
    t.equal(json.json().detail, '3 of 4 rows are invalid; nothing was imported');
    t.equal(await total(), before);
  });

  await t.test('header problems, empty files, wrong media types', async (t) => {
    const res = await ctx.request({
      method: 'POST',
      url,
      token: admin.token,
      headers: { 'content-type': 'text/csv' },
      payload: 'fullName,dateOfBirth,nationality,email,documentKind,documentNumber,shoeSize\nA,1980-01-01,GBR,a@b.c,passport,P1,43\n',
    });
    t.equal(res.statusCode, 422, res.body);
    t.same(res.json().errors.map((e: { path: string }) => e.path), ['header.shoeSize', 'header.expiresOn']);
    t.equal((await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/csv' }, payload: `${HEADER}\r\n` })).statusCode, 422);
    t.equal((await ctx.request({ method: 'POST', url, token: admin.token, payload: [] as never })).statusCode, 422);
    const broken = await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/csv' }, payload: `${HEADER}\n"unclosed,x\n` });
    t.equal(broken.statusCode, 422);
    t.match(broken.json().detail, /line 2/);
    const plain = await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/plain' }, payload: 'x' });
    t.equal(plain.statusCode, 415);
    const csvElsewhere = await ctx.request({
      method: 'POST',
      url: `/v1/institutions/${instId}/researchers`,
      token: admin.token,
      headers: { 'content-type': 'text/csv' },
      payload: `${HEADER}\n`,
    });
    t.equal(csvElsewhere.statusCode, 422, 'the single nomination takes JSON only');
  });

  await t.test('a retried import with the same Idempotency-Key creates nothing twice', async (t) => {
    const rows = [researcherBody(), researcherBody()];
    const headers = { 'idempotency-key': 'import-batch-42' };
    const before = await total();
    const first = await ctx.request({ method: 'POST', url, token: admin.token, payload: rows as never, headers });
    t.equal(first.statusCode, 201, first.body);
    const retry = await ctx.request({ method: 'POST', url, token: admin.token, payload: rows as never, headers });
    t.equal(retry.statusCode, 201, retry.body);
    t.same(retry.json(), first.json(), 'the first answer again');
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.equal(await total(), before + 2);
    const other = await ctx.request({ method: 'POST', url, token: admin.token, payload: [researcherBody()] as never, headers });
    t.equal(other.statusCode, 409);
    t.equal(other.json().code, 'IDEMPOTENCY_KEY_REUSED');
    const withoutKey = await ctx.request({ method: 'POST', url, token: admin.token, payload: rows as never });
    t.equal(withoutKey.statusCode, 422, 'without the key, a repeat finds its documents already registered');
    t.equal(await total(), before + 2);
  });

  await t.test('one answer lists every fault of every row: a bad date and a duplicate document in one row', async (t) => {
    const taken = uniquePassport();
    const first = await ctx.request({
      method: 'POST',
      url: `/v1/institutions/${instId}/researchers`,
      token: admin.token,
      payload: researcherBody({ documents: [{ kind: 'passport', number: taken, issuingCountry: 'GBR', expiresOn: '2040-01-01' }] }),
    });
    t.equal(first.statusCode, 201, first.body);
    const inFile = uniquePassport();
    const lines = [
      HEADER,
      `FIRST ROW,,1980-01-01,GBR,f@example.com,passport,${inFile},GBR,2040-01-01`,
      `BAD DATE ON FILE,,1980-02-30,GBR,b@example.com,passport,${taken},GBR,2040-01-01`,
      `BAD EMAIL TWICE,,1980-01-01,GBR,not-an-email,passport,${inFile},GBR,2040-01-01`,
    ];
    const res = await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/csv' }, payload: lines.join('\n') });
    t.equal(res.statusCode, 422, res.body);
    const errors = res.json().errors as { path: string; message: string }[];
    t.same(errors.map((e) => e.path).sort(), ['3.dateOfBirth', '3.documentNumber', '4.documentNumber', '4.email']);
    t.match(errors.find((e) => e.path === '3.documentNumber')?.message, /already registered by your institution/);
    t.match(errors.find((e) => e.path === '4.documentNumber')?.message, /same document as row 2/);
  });

  await t.test('a suspended institution imports nothing', async (t) => {
    const inst = await insertInstitution(ctx.db, { status: 'suspended' });
    const res = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/researchers/import`, token: sup.token, payload: [researcherBody()] as never });
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'INSTITUTION_SUSPENDED');
  });

  await t.test('10,000 rows in one request', async (t) => {
    const lines = [HEADER];
    for (let i = 0; i < 10_000; i++) {
      const n = String(i).padStart(5, '0');
      const doc =
        i % 2 === 0
          ? `passport,Q${String(i).padStart(8, '0')},GBR`
          : `hkid,${hkid(i, 'K')},`;
      lines.push(`RESEARCHER ${letters(i)},研究員,1980-01-01,GBR,researcher.${n}@bulk-import.example.ac.uk,${doc},2036-06-30`);
    }
    const text = lines.join('\r\n');
    t.ok(Buffer.byteLength(text) > ctx.config.http.bodyLimit, 'larger than the default body limit');
    const before = await total();
    const started = process.hrtime.bigint();
    const res = await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/csv', 'idempotency-key': 'ten-thousand' }, payload: text });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    t.equal(res.statusCode, 201, res.statusCode === 201 ? '' : res.body.slice(0, 2000));
    t.equal(res.json().created, 10_000);
    t.equal(res.json().researchers[9_999].row, 10_001, 'the last data row is line 10,001 (the header is line 1)');
    t.equal(await total(), before + 10_000);
    t.comment(`10,000-row CSV (${(Buffer.byteLength(text) / 1024 / 1024).toFixed(2)} MiB) imported in ${ms.toFixed(0)} ms on ${ctx.testDb.source}`);

    const replayStart = process.hrtime.bigint();
    const replay = await ctx.request({ method: 'POST', url, token: admin.token, headers: { 'content-type': 'text/csv', 'idempotency-key': 'ten-thousand' }, payload: text });
    t.equal(replay.statusCode, 201);
    t.equal(replay.json().created, 10_000);
    t.equal(await total(), before + 10_000, 'the retry created nothing');
    t.comment(`its retry answered in ${(Number(process.hrtime.bigint() - replayStart) / 1e6).toFixed(0)} ms`);

    const verify = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: sup.token });
    t.equal(verify.json().ok, true, 'the audit chain holds 10,000 more events and verifies');
  });

  await t.test('the CLI entry point imports a CSV file with progress', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hetao-import-'));
    const file = join(dir, 'staff.csv');
    const rows = Array.from({ length: 2500 }, (_, i) => `CLI PERSON ${letters(i)},,1990-01-01,CAN,cli${i}@example.ca,passport,C${String(i).padStart(7, '0')},CAN,2038-01-01`);
    writeFileSync(file, [HEADER, ...rows].join('\n'));
    const progress: ImportProgress[] = [];
    const result = await importResearchersCsvFile(ctx.db, { institutionId: instId, file, onProgress: (p) => progress.push(p) });
    t.equal(result.created, 2500);
    t.same([...new Set(progress.map((p) => p.phase))], ['parse', 'validate', 'check', 'insert', 'audit', 'done']);
    t.same(progress.filter((p) => p.phase === 'insert').map((p) => p.done), [2000, 2500]);
    const events = await ctx.db.select().from(auditEvents).where(eq(auditEvents.subject, `researcher:${result.researchers[0]!.id}`));
    t.equal(events[0]!.actor, 'cli');

    const again = await importResearchersCsvFile(ctx.db, { institutionId: instId, file }).catch((e: unknown) => e);
    t.ok(again instanceof ValidationError, 'a second run is refused row by row');
    t.equal((again as ValidationError).errors!.length, 2500);
  });
});
