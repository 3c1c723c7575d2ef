// Schema-driven fuzzing of every operation in the OpenAPI document (GET
// /docs/json). For each operation, fast-check generates path parameters, query
// strings, headers and bodies from its schema (with domain values by property name,
// so that many requests get past validation into the handlers) and mutates them:
// wrong types, nulls, huge strings, CJK / emoji / bidi text, SQL- and
// JSON-injection strings, extra and missing fields, arrays for objects, deep
// nesting, malformed JSON, other media types. They are sent with a token of an
// allowed role (the first of supervisor, officer, institution_admin, researcher,
// auditor that the route does not refuse outright; then a few with every other
// allowed role). Every answer must be a 2xx or 4xx, never a 5xx, and every 4xx an
// application/problem+json with type, title, status, detail and code.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import t from 'tap';
import type { Role } from '../../src/db/schema.js';
import { buildTd3 } from '../../src/domain/documents/mrz.js';
import { buildTestApp, TEST_PASSWORD } from '../support/app.js';
import { IMPORT_HEADER, letters, validHkid, validPrcId } from '../support/documents.js';
import { problemDefect } from '../support/http-calls.js';
import {
  fuzzArb,
  type GenContext,
  INJECTION_STRINGS,
  type OpenApiDoc,
  type Operation,
  operationsOf,
  schemaArb,
  UNICODE_STRINGS,
} from '../support/openapi.js';
import { account, buildWorld } from '../support/world.js';

/** The seed of the whole run: a failure names it, and FUZZ_SEED=… replays it. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
/** Generated requests per operation with its first allowed role, and with each other allowed role. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
/** FUZZ_DEBUG=1 shows why unmutated requests were refused (to tune the generators). */
const DEBUG = process.env.FUZZ_DEBUG === '1';
const OTHER_ROLE_RUNS = Math.max(5, Math.round(RUNS / 5));
/** Operations that hash a password or a secret (argon2id, ~50 ms) get fewer runs. */
const SLOW = new Set(['POST /v1/auth/token', 'POST /v1/users', 'POST /v1/institutions/{id}/api-clients']);

const ctx = await buildTestApp(t);
const world = await buildWorld(ctx);
const { a, b } = world;

// Accounts that the fuzzer may disable and enable: not the ones whose tokens it sends.
const spareUsers = [await account(ctx, 'auditor'), await account(ctx, 'officer')];

const docRes = await ctx.request({ method: 'GET', url: '/docs/json' });
if (docRes.statusCode !== 200) throw new Error(`/docs/json: ${docRes.statusCode}`);
const doc = docRes.json<OpenApiDoc>();
const operations = operationsOf(doc);

// ---- who may call what ------------------------------------------------------------------------

const ROLE_ORDER: Role[] = ['supervisor', 'officer', 'institution_admin', 'researcher', 'auditor'];
const tokens: Record<Role, string> = {
  supervisor: world.supervisor.token,
  officer: world.officer.token,
  institution_admin: a.admin.token,
  researcher: a.researcherAccount.token,
  auditor: world.auditor.token,
};
const ABSENT = '01900000-0000-7000-8000-00000000abcd';
const concrete = (path: string, value: string) => path.replace(/\{[^}]+\}/g, value);

/** The roles a route does not refuse outright (its role guard answers 403 before anything else). */
async function rolesOf(op: Operation): Promise<Role[] | 'public'> {
  const probe = (token?: string) =>
    ctx.request({ method: op.method as InjectOptions['method'], url: concrete(op.path, ABSENT), ...(token ? { token } : {}) });
  const anonymous = await probe();
  if (anonymous.statusCode !== 401) return 'public';
  const allowed: Role[] = [];
  for (const role of ROLE_ORDER) {
    const res = await probe(tokens[role]);
    const refused = res.statusCode === 403 && /role cannot do this/.test(res.body);
    if (!refused) allowed.push(role);
  }
  return allowed;
}

// ---- domain values ------------------------------------------------------------------------------

const today = new Date().toISOString().slice(0, 10);
const mrzA = buildTd3({ issuingState: 'CHN', surname: 'ALPHA', givenNames: 'TRAVELLER', documentNumber: a.passport, nationality: 'CHN', dateOfBirth: '1985-04-12', sex: 'M', expiresOn: '2030-01-01' });
let uniq = 0;
const fresh = () => `${letters(++uniq % 1_000_000)}`;
const hex64 = fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: 64, maxLength: 64 }).map((c) => c.join(''));
const realIds = [a.institutionId, b.institutionId, a.researcherId, b.researcherId, a.nomineeId, a.equipmentId, a.reagentId, a.submittedItemId, b.equipmentId, a.crossingId, b.crossingId, a.passportDocumentId, a.hkidDocumentId];

const documentNumber = fc.constantFrom(a.passport, a.hkid, `${a.hkid.slice(0, 7)}(${a.hkid.slice(7)})`, validPrcId('1985-04-12', 7), 'C12345678', 'CA1234567', 'H12345678', 'H1234567801', b.passport);
const hints: Record<string, fc.Arbitrary<unknown>> = {
  number: fc.oneof(documentNumber, fc.integer({ min: 0, max: 99_999_999 }).map((n) => `E${String(n).padStart(8, '0')}`), fc.constant(validHkid(uniq + 4242, 'V'))),
  mrz: fc.constantFrom(mrzA, mrzA.replace(/\d(?=\n|$)/, '0'), mrzA.split('\n')[0]!, `${mrzA}\n${'<'.repeat(44)}`, mrzA.toLowerCase()),
  kind: fc.constantFrom('passport', 'hkid', 'prc_id', 'hk_macao_permit', 'home_return_permit'),
  issuingCountry: fc.constantFrom('GBR', 'CHN', 'HKG', 'USA', 'D<<'),
  nationality: fc.constantFrom('GBR', 'CHN', 'HKG', 'CAN'),
  casNumber: fc.constantFrom('64-17-5', '7732-18-5', '50-00-0', '64-17-6'),
  hsCode: fc.constantFrom('847130', '8471.30.00', '9027 80', '12345'),
  sha256: hex64,
  valueCurrency: fc.constantFrom('HKD', 'CNY', 'USD', 'XXX'),
  custodianIds: fc.constantFrom([a.researcherId], [a.researcherId, a.nomineeId], [b.researcherId]),
  custodianId: fc.constantFrom(a.researcherId, b.researcherId),
  researcherId: fc.constantFrom(a.researcherId, b.researcherId, a.nomineeId),
  institutionId: fc.constantFrom(a.institutionId, b.institutionId),
  itemId: fc.constantFrom(a.equipmentId, a.reagentId, b.equipmentId, a.submittedItemId),
  serialNumber: fc.oneof(fc.constantFrom(a.serialNumber, b.serialNumber, a.serialNumber.toLowerCase()), fc.constant(null).map(() => `SN-FZ-${fresh()}`)),
  checkpoint: fc.constantFrom('LMC', 'SZB', 'LWU', 'NOPE'),
  code: fc.constant(null).map(() => `FZ${fresh()}`),
  fullName: fc.constantFrom('SMITH JOHN', "O'BRIEN SEAN", 'CHAN TAI-MAN', 'Zoë Ångström'),
  nameZh: fc.constantFrom('陳大文', '王小红', '𠜎'),
  name: fc.constantFrom('Fuzz University', 'Laptop', '河套实验室'),
  email: fc.constant(null).map(() => `fz${fresh().toLowerCase()}@example.ac.uk`),
  dateOfBirth: fc.constantFrom('1980-02-29', '1985-04-12', '1900-01-01', today),
  expiresOn: fc.constantFrom('2035-01-31', '2099-12-31', '2000-01-01', today),
  validUntil: fc.constantFrom('2035-12-31', today, '2001-01-01'),
  validFrom: fc.constantFrom(today, '2020-01-01', '2036-01-01'),
  from: fc.constantFrom('2020-01-01T00:00:00Z', new Date().toISOString(), '2030-01-01T00:00:00+08:00'),
  to: fc.constantFrom('2099-01-01T00:00:00Z', '2020-01-01T00:00:00Z'),
  username: fc.constant(null).map(() => `fz-user-${fresh().toLowerCase()}`),
  password: fc.constantFrom(TEST_PASSWORD, 'a long enough password 1'),
  client_id: fc.constantFrom(a.apiClientId, 'hc_nothing'),
  client_secret: fc.constantFrom('not-the-secret'),
  registrationNumber: fc.constant(null).map(() => `REG-FZ-${fresh()}`),
  reason: fc.constantFrom('fuzz', '停用', 'x'.repeat(1000)),
  notes: fc.constantFrom('fuzz', 'inspected'),
  cursor: fc.constantFrom('', 'eyJ4IjoxfQ', 'bm90IGpzb24', '!!!', 'W10', 'Ik1PUkUi'),
  // Whole sub-objects that are valid together, so that some bodies get all the way through.
  documents: fc.oneof(
    fc.constant(null).map(() => [{ kind: 'passport', number: `F${String(++uniq).padStart(8, '0')}`, issuingCountry: 'GBR', expiresOn: '2035-01-31' }]),
    fc.constant(null).map(() => [{ kind: 'hkid', number: validHkid(500_000 + ++uniq, 'U'), expiresOn: '2035-01-31' }]),
    fc.constant(null).map(() => [{ kind: 'prc_id', number: validPrcId('1980-02-29', ++uniq), expiresOn: '2035-01-31' }]),
  ),
  document: fc.constantFrom({ kind: 'passport', number: a.passport }, { kind: 'hkid', number: a.hkid }, { kind: 'passport', number: b.passport, issuingCountry: 'CHN' }, { kind: 'hkid', number: 'A1234563' }),
  traveller: fc.constantFrom({ document: { kind: 'passport', number: a.passport } }, { document: { kind: 'hkid', number: `${a.hkid.slice(0, 7)}(${a.hkid.slice(7)})` } }, { mrz: mrzA }, { document: { kind: 'passport', number: 'E00000001' } }),
  items: fc.constantFrom([], [{ itemId: a.equipmentId }], [{ serialNumber: a.serialNumber }], [{ itemId: a.reagentId, quantity: 1 }], [{ itemId: b.equipmentId }, { serialNumber: 'NOPE' }]),
  q: fc.constantFrom('CHAN', 'chn tai', '陳', '%', '_', "'"),
};
const genCtx: GenContext = { doc, hints, ids: realIds };

// ---- requests -----------------------------------------------------------------------------------

/** Percent-encodes every UTF-8 byte, so that any generated string can stand in a path. */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('');

const garbage = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(...INJECTION_STRINGS, ...UNICODE_STRINGS.filter((s) => s !== ''), 'x'.repeat(300), '..', '%', ' ', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '{id}', 'null', '-1'),
);

/** Real ids of the kind the path names (A's and B's), random ones, and garbage. */
function pathParamArb(path: string, name: string): fc.Arbitrary<string> {
  let real: string[];
  if (name === 'clientId') real = [a.apiClientId, b.apiClientId];
  else if (name === 'documentId') real = [a.passportDocumentId, a.hkidDocumentId, b.passportDocumentId];
  else if (path.startsWith('/v1/institutions')) real = [a.institutionId, b.institutionId];
  else if (path.startsWith('/v1/researchers')) real = [a.researcherId, a.nomineeId, b.researcherId];
  else if (path.startsWith('/v1/items')) real = [a.equipmentId, a.reagentId, a.submittedItemId, b.equipmentId];
  else if (path.startsWith('/v1/crossings')) real = [a.crossingId, b.crossingId];
  else if (path.startsWith('/v1/users')) real = [spareUsers[0]!.id, spareUsers[1]!.id, b.researcherAccount.id];
  else real = realIds;
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...real) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: garbage.map(pct) },
  );
}

function queryArb(op: Operation): fc.Arbitrary<string> {
  const params = op.queryParams.map((p) =>
    fc.option(
      fc.oneof(
        { weight: 8, arbitrary: schemaArb(p.schema, genCtx, p.name).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) },
        { weight: 1, arbitrary: garbage },
        { weight: 1, arbitrary: fc.constantFrom('0', '-1', '201', '1e3', '9999999999999999999', 'true', '[]', '') },
      ).map((v) => [p.name, v] as const),
      { freq: 2 },
    ),
  );
  const extra = fc.option(
    fc.tuple(fc.constantFrom('extra', 'limit', '__proto__', 'institutionId', 'status[$ne]', 'a'.repeat(300)), garbage),
    { freq: 4 },
  );
  return fc.tuple(fc.tuple(...params), extra, fc.boolean()).map(([pairs, more, raw]) => {
    const all = [...pairs.filter((x): x is readonly [string, string] => x !== null), ...(more ? [more] : [])];
    // Sometimes the raw bytes, badly encoded: percent signs and all.
    return all.map(([k, v]) => `${encodeURIComponent(k)}=${raw && /%/.test(v) ? v : encodeURIComponent(v)}`).join('&');
  });
}

const RAW_BODIES = ['{', '{"a":', '[1,2', 'nul', '"unterminated', '{"a":1}{"b":2}', '\u0000', '{"__proto__":{"role":"supervisor"}}', '{"constructor":{"prototype":{"x":1}}}', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, `{"a":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, '{"a":"\\ud800"}', '1e999999', '"just a string"', '12', 'true', 'null', '[]'];

function csvArb(): fc.Arbitrary<string> {
  const cell = fc.oneof(
    fc.constantFrom('SMITH JOHN', '陳大文', '1980-01-01', 'GBR', 'passport', 'hkid', a.hkid, b.passport, 'x@example.com', '2035-01-01', ''),
    garbage.map((g) => (/[",\n]/.test(g) ? `"${g.replace(/"/g, '""')}"` : g)),
    fc.constantFrom('"unclosed', 'a""b', '=cmd|" /C calc"!A0', '\r\n'),
  );
  const row = fc.array(cell, { minLength: 7, maxLength: 10 }).map((c) => c.join(','));
  return fc
    .tuple(fc.constantFrom(IMPORT_HEADER, IMPORT_HEADER.toUpperCase(), 'a,b,c', '', `${IMPORT_HEADER},extra`), fc.array(row, { maxLength: 5 }), fc.constantFrom('\n', '\r\n', '\r'))
    .map(([h, rows, eol]) => [h, ...rows].join(eol));
}

interface Case {
  url: string;
  headers: Record<string, string>;
  payload?: string;
  mutation: string;
}

function requestArb(op: Operation): fc.Arbitrary<Case> {
  const pathArb = fc.tuple(...(op.pathParams.length > 0 ? op.pathParams.map((p) => pathParamArb(op.path, p.name)) : [fc.constant('')])).map((values) => {
    let url = op.path;
    op.pathParams.forEach((p, i) => {
      url = url.replace(`{${p.name}}`, values[i]!);
    });
    return url;
  });
  const bodySchema = op.body?.schema;
  const jsonBody = bodySchema ? fuzzArb(schemaArb(bodySchema, genCtx)) : fuzzArb(fc.constant(undefined));
  const acceptsText = bodySchema ? JSON.stringify(bodySchema).includes('"string"') && op.path.endsWith('/import') : false;
  const body: fc.Arbitrary<{ payload?: string; contentType?: string; mutation: string }> = fc.oneof(
    { weight: 12, arbitrary: jsonBody.map(({ value, mutation }) => (value === undefined ? { mutation } : { payload: JSON.stringify(value), contentType: 'application/json', mutation })) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((payload) => ({ payload, contentType: 'application/json', mutation: 'rawJson' })) },
    { weight: 1, arbitrary: fc.tuple(jsonBody, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml', 'text/csv', 'application/problem+json')).map(([{ value }, contentType]) => ({ payload: JSON.stringify(value ?? {}), contentType, mutation: 'mediaType' })) },
    ...(acceptsText ? [{ weight: 4, arbitrary: csvArb().map((payload) => ({ payload, contentType: 'text/csv; charset=utf-8', mutation: 'csv' })) }] : []),
  );
  // Headers: mostly what a client sends (a fresh Idempotency-Key, If-Match: * or nothing), sometimes a replayed key or garbage.
  const headers = fc
    .record({
      key: fc.oneof(
        { weight: 6, arbitrary: fc.constant(null).map(() => `fz-${fresh()}`) },
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom('fz-key-1', 'fz-key-2') },
        { weight: 1, arbitrary: fc.constantFrom('k'.repeat(300), ' ', 'tab\there', 'é') },
      ),
      ifMatch: fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 4, arbitrary: fc.constant('*') },
        { weight: 1, arbitrary: fc.constantFrom('"v1"', 'W/"v2"', '"v99999999999"', 'garbage', '"v1", "v2"', '') },
      ),
      requestId: fc.option(fc.constantFrom('fuzz-1', 'x'.repeat(500), '../../etc', 'id with spaces'), { freq: 3 }),
      accept: fc.option(fc.constantFrom('application/json', 'text/html', '*/*'), { freq: 3 }),
    })
    .map(({ key, ifMatch, requestId, accept }) => {
      const h: Record<string, string> = {};
      if (key !== undefined) h['idempotency-key'] = key;
      if (ifMatch !== undefined) h['if-match'] = ifMatch;
      if (requestId !== null) h['x-request-id'] = requestId;
      if (accept !== null) h.accept = accept;
      return h;
    });
  return fc.tuple(pathArb, queryArb(op), body, headers).map(([path, query, b2, h]) => {
    const all: Record<string, string> = { ...h };
    if (b2.contentType) all['content-type'] = b2.contentType;
    return { url: query ? `${path}?${query}` : path, headers: all, ...(b2.payload !== undefined ? { payload: b2.payload } : {}), mutation: b2.mutation };
  });
}

// ---- the run ------------------------------------------------------------------------------------

interface Failure {
  status: number;
  why: string;
  request: string;
  answer: string;
}

function judge(res: LightMyRequestResponse): string | undefined {
  if (res.statusCode >= 500) return `a ${res.statusCode}`;
  if (res.statusCode >= 400) return problemDefect(res.statusCode, String(res.headers['content-type'] ?? ''), res.body);
  if (res.statusCode < 200) return `a ${res.statusCode}`;
  return undefined;
}

const seedOf = (key: string) => createHash('sha256').update(`${SEED} ${key}`).digest().readUInt32BE(0);

let totalCases = 0;
const statusCounts = new Map<number, number>();
const mutationCounts = new Map<string, number>();
const covered = new Set<string>();
const started = Date.now();

// Who may call what, found before any generated request can disable an account or suspend an institution.
const rolesByOp = new Map<string, Role[] | 'public'>();
for (const op of operations) rolesByOp.set(op.key, await rolesOf(op));

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}
const WIDTH = 4;

t.comment(`fuzz seed ${SEED}; ${operations.length} operations in the OpenAPI document; ${RUNS} runs per operation (+${OTHER_ROLE_RUNS} per other allowed role)`);
t.ok(operations.length >= 40, `the document lists ${operations.length} operations`);

for (const op of operations) {
  t.test(`${op.key}: generated and mutated requests never get a 5xx; every 4xx is a problem`, async (t) => {
    const roles = rolesByOp.get(op.key)!;
    const plan: { role: Role | 'anonymous'; runs: number }[] =
      roles === 'public'
        ? [{ role: 'anonymous', runs: SLOW.has(op.key) ? 40 : RUNS }]
        : roles.map((role, i) => ({ role, runs: i === 0 ? (SLOW.has(op.key) ? 30 : RUNS) : SLOW.has(op.key) ? 5 : OTHER_ROLE_RUNS }));
    t.ok(plan.length > 0, `callable by ${plan.map((p) => p.role).join(', ') || 'nobody'}`);
    let debugShown = 0;
    const failures: Failure[] = [];
    const statuses = new Map<number, number>();
    let cases = 0;
    for (const { role, runs } of plan) {
      const samples = fc.sample(requestArb(op), { seed: seedOf(`${op.key} ${role}`), numRuns: runs });
      await inBatches(samples, WIDTH, async (c) => {
        const headers = { ...c.headers };
        if (role !== 'anonymous') headers.authorization = `Bearer ${tokens[role]}`;
        const res = await ctx.app.inject({ method: op.method as InjectOptions['method'], url: c.url, headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) });
        cases += 1;
        statusCounts.set(res.statusCode, (statusCounts.get(res.statusCode) ?? 0) + 1);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        mutationCounts.set(c.mutation, (mutationCounts.get(c.mutation) ?? 0) + 1);
        if (DEBUG && c.mutation === 'none' && res.statusCode === 422 && debugShown++ < 3) t.comment(`DEBUG ${c.payload?.slice(0, 300)} => ${res.body.slice(0, 400)}`);
        const why = judge(res);
        if (why) {
          failures.push({
            status: res.statusCode,
            why,
            request: `${role} ${op.method} ${c.url.slice(0, 200)} ${JSON.stringify(c.headers).slice(0, 200)} ${(c.payload ?? '').slice(0, 300)}`,
            answer: res.body.slice(0, 300),
          });
        }
      });
    }
    totalCases += cases;
    if (cases > 0) covered.add(op.key);
    const histogram = [...statuses].sort((x, y) => x[0] - y[0]).map(([k, v]) => `${k}×${v}`).join(' ');
    t.comment(`${cases} cases as ${plan.map((p) => `${p.role}×${p.runs}`).join(', ')}: ${histogram}`);
    const kinds = [...new Set(failures.map((f) => `${f.status} ${f.why}`))];
    t.same(kinds, [], `${failures.length} of ${cases} answers broke the contract; first: ${JSON.stringify(failures.slice(0, 3), null, 1)}`);
  });
}

// What the fuzzer found first, pinned for every list: a cursor is opaque, but a client can forge one.
// `Ik1PUkUi` is base64url("\"MORE\""): a well-formed cursor whose value is not a row id.
t.test('a forged cursor (well-formed, but not a key of the list) is a 4xx problem on every paged list', async (t) => {
  // The shapes the lists use: an id, [rank, id] for a name search, {r: returnBy, i: id} for overdue returns.
  const forged = [JSON.stringify('MORE'), JSON.stringify('x'.repeat(60)), JSON.stringify(12), JSON.stringify(['0.5', 'MORE']), JSON.stringify({ r: 'MORE', i: 'MORE' }), JSON.stringify({ r: '2020-01-01T00:00:00Z', i: 'MORE' })].map((v) =>
    Buffer.from(v, 'utf8').toString('base64url'),
  );
  const lists = operations.filter((op) => op.method === 'GET' && op.queryParams.some((p) => p.name === 'cursor'));
  t.ok(lists.length >= 8, `${lists.length} paged lists`);
  for (const op of lists) {
    const roles = rolesByOp.get(op.key);
    const role = roles === 'public' || roles === undefined ? undefined : roles[0];
    const queries = op.queryParams.some((p) => p.name === 'q') ? ['', '&q=CHAN'] : [''];
    for (const [cursor, extra] of forged.flatMap((c) => queries.map((q) => [c, q] as const))) {
      const url = `${concrete(op.path, op.path.startsWith('/v1/institutions/') ? a.institutionId : a.researcherId)}?cursor=${cursor}${extra}`;
      const res = await ctx.app.inject({ method: 'GET', url, headers: role ? { authorization: `Bearer ${tokens[role]}` } : {} });
      const why = judge(res);
      t.equal(why, undefined, `${op.key}${extra} with cursor ${Buffer.from(cursor, 'base64url').toString('utf8').slice(0, 24)}: ${res.statusCode} ${why ?? ''}`);
    }
  }
});

t.test('figures', async (t) => {
  const missing = operations.map((o) => o.key).filter((k) => !covered.has(k));
  t.same(missing, [], 'every operation of the OpenAPI document was fuzzed');
  t.comment(`FUZZ FIGURES: ${totalCases} cases generated and sent, ${covered.size}/${operations.length} operations covered, seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.comment(`answers by status: ${JSON.stringify(Object.fromEntries([...statusCounts].sort((x, y) => x[0] - y[0])))}`);
  t.comment(`cases by mutation: ${JSON.stringify(Object.fromEntries([...mutationCounts].sort()))}`);
  t.ok(statusCounts.has(200) || statusCounts.has(201), 'some generated requests were valid enough to succeed');
});
