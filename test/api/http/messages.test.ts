import t from 'tap';
import { ConfigError, parseEnv } from '../../../src/config.js';
import { buildTestApp } from '../../support/app.js';
import { insertInstitution, insertResearcher } from '../../support/records.js';

/**
 * The messages a person reads when a request is refused say what is needed, in
 * place of zod's defaults ("Invalid input: expected string, received undefined").
 */

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

const ctx = await buildTestApp(t);
const sup = await ctx.caller('supervisor');
const inst = await insertInstitution(ctx.db, { side: 'SZ' });
const admin = await ctx.caller('institution_admin', { institutionId: inst.id });
const custodian = await insertResearcher(ctx.db, { institutionId: inst.id, status: 'approved' });
const problem = (res: { json: () => unknown }) => res.json() as Problem;
const ZOD_DEFAULTS = /Invalid input|expected \w+, received|Too (small|big)|Invalid option|Unrecognized key/;

const equipment = (over: Record<string, unknown> = {}) => ({
  category: 'equipment',
  name: 'Oscilloscope',
  homeSide: 'SZ',
  custodianIds: [custodian.id],
  serialNumber: 'MSG-0001',
  manufacturer: 'Keysight',
  model: 'DSOX1204G',
  hsCode: '903020',
  valueAmount: 12000,
  valueCurrency: 'HKD',
  maxDaysAbroad: 30,
  ...over,
});

t.test('a missing field: "<field> is required", with what the well-known ones are', async (t) => {
  const { hsCode: _omit, ...body } = equipment();
  const res = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/items`, token: admin.token, payload: body });
  t.equal(res.statusCode, 422, res.body);
  const p = problem(res);
  t.same(p.errors, [{ path: 'hsCode', message: 'is required: the 6–10 digit Harmonized System code, e.g. 847130' }]);
  t.equal(p.detail, 'hsCode is required: the 6–10 digit Harmonized System code, e.g. 847130');
});

t.test('a field of the wrong type says what it must be', async (t) => {
  const res = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/items`, token: admin.token, payload: equipment({ manufacturer: 42 }) });
  t.equal(res.statusCode, 422, res.body);
  t.same(problem(res).errors, [{ path: 'manufacturer', message: 'must be a string, not a number' }]);
  t.equal(problem(res).detail, 'manufacturer must be a string, not a number');
  const several = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/items`, token: admin.token, payload: equipment({ manufacturer: 42, model: undefined }) });
  t.match(problem(several).detail, /^2 fields of the body are invalid: (manufacturer, model|model, manufacturer)$/, 'several: the detail names them');
  t.notMatch(several.body, ZOD_DEFAULTS);
});

t.test('a missing JSON body: "this request needs a JSON body" with its fields', async (t) => {
  const r = await insertResearcher(ctx.db, { institutionId: inst.id });
  const res = await ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/approve`, token: sup.token });
  t.equal(res.statusCode, 422, res.body);
  const p = problem(res);
  t.equal(p.detail, 'This request needs a JSON body (Content-Type: application/json): {validFrom?, validUntil}');
  t.same(p.errors, [{ path: 'body', message: 'is required: this request needs a JSON body: {validFrom?, validUntil}' }]);
  const array = await ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/approve`, token: sup.token, payload: [1] });
  t.equal(array.statusCode, 422);
  t.equal(problem(array).detail, 'The body must be a JSON object: {validFrom?, validUntil}');
  const empty = await ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/approve`, token: sup.token, payload: {} });
  t.same(problem(empty).errors, [{ path: 'validUntil', message: 'is required: the last day of validity YYYY-MM-DD, e.g. 2027-12-31' }]);
});

t.test('an unaccepted Content-Type: the 415 names what is accepted', async (t) => {
  const csv = 'fullName,nameZh,dateOfBirth,nationality,email,documentKind,documentNumber,issuingCountry,expiresOn\n';
  // curl --data-binary sends application/x-www-form-urlencoded unless told otherwise.
  const form = await ctx.request({
    method: 'POST',
    url: `/v1/institutions/${inst.id}/researchers/import`,
    token: sup.token,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: csv,
  });
  t.equal(form.statusCode, 415, form.body);
  t.match(form.headers['content-type'], /application\/problem\+json/);
  t.equal(problem(form).detail, 'Content-Type application/x-www-form-urlencoded is not accepted here: send application/json or text/csv');
  const xml = await ctx.request({ method: 'POST', url: '/v1/checkpoints', token: sup.token, headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
  t.equal(xml.statusCode, 415);
  t.equal(problem(xml).detail, 'Content-Type application/xml is not accepted here: send application/json', 'a JSON route names JSON only');
});

t.test('an unknown checkpoint: the message lists the checkpoints', async (t) => {
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/users',
    token: sup.token,
    payload: { username: 'officer-nowhere', password: 'a long officer password', role: 'officer', checkpoint: 'XYZ' },
  });
  t.equal(res.statusCode, 422, res.body);
  const p = problem(res);
  t.equal(p.errors![0]!.path, 'checkpoint');
  t.match(p.errors![0]!.message, /^is not a checkpoint code; the checkpoints are: .*LMC \(/);
  t.match(p.detail, /^checkpoint is not a checkpoint code; the checkpoints are: /);
});

t.test('an unknown enum value lists the values; a query parameter says where it is', async (t) => {
  const res = await ctx.request({ method: 'GET', url: '/v1/researchers?status=pending', token: sup.token });
  t.equal(res.statusCode, 422);
  t.match(problem(res).errors![0]!.message, /^must be one of: nominated, approved, .*expired/);
  t.match(problem(res).detail, /^querystring status must be one of: /);
});

t.test('configuration: "PORT must be a number, e.g. 3000"', async (t) => {
  let err: unknown;
  try {
    parseEnv({ PORT: 'eighty' });
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof ConfigError);
  t.same((err as ConfigError).issues, ['PORT must be a number, e.g. 3000']);
  t.same(
    (() => {
      try {
        parseEnv({ LOG_LEVEL: 'loud', DB_POOL_MAX: 'ten' });
        return [];
      } catch (e) {
        return (e as ConfigError).issues;
      }
    })(),
    ['LOG_LEVEL must be one of: fatal, error, warn, info, debug, trace, silent', 'DB_POOL_MAX must be a number, e.g. 10'],
  );
});
