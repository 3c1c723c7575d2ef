import t from 'tap';
import { IMPORT_CSV_EXAMPLE } from '../../../src/http/openapi.js';
import { buildTestApp } from '../../support/app.js';
import { insertInstitution } from '../../support/records.js';

/**
 * The bulk import reads JSON or CSV: its OpenAPI operation documents both media
 * types, each with an example, so that Swagger UI can send a CSV; and the examples
 * are real (sent as they are, they import).
 */

interface Media {
  schema: { type?: string; maxItems?: number; maxLength?: number };
  example?: unknown;
}

const ctx = await buildTestApp(t);
const doc = (await ctx.request({ method: 'GET', url: '/docs/json' })).json();
const op = doc.paths['/v1/institutions/{id}/researchers/import'].post;
const content = op.requestBody.content as Record<string, Media>;

t.test('the import documents text/csv (a string, with an example) beside application/json (an array)', async (t) => {
  t.same(Object.keys(content), ['application/json', 'text/csv'], 'JSON first (the default in Swagger UI), then CSV');
  const csv = content['text/csv']!;
  t.equal(csv.schema.type, 'string');
  t.ok(csv.schema.maxLength, 'bounded');
  t.type(csv.example, 'string');
  t.match(String(csv.example), /^fullName,nameZh,dateOfBirth,nationality,email,documentKind,documentNumber,issuingCountry,expiresOn\r\n/);
  const json = content['application/json']!;
  t.equal(json.schema.type, 'array');
  t.ok(json.schema.maxItems, 'bounded');
  t.ok(Array.isArray(json.example) && (json.example as unknown[]).length > 0, 'an example array');
  t.equal(op.requestBody.required, true);
});

t.test('each example, sent as it is, imports', async (t) => {
  const sup = await ctx.caller('supervisor');
  for (const [mediaType, payload] of [
    ['text/csv', content['text/csv']!.example as string],
    ['application/json', JSON.stringify(content['application/json']!.example)],
  ] as const) {
    const inst = await insertInstitution(ctx.db);
    const res = await ctx.request({
      method: 'POST',
      url: `/v1/institutions/${inst.id}/researchers/import`,
      token: sup.token,
      headers: { 'content-type': mediaType },
      payload,
    });
    t.equal(res.statusCode, 201, `${mediaType}: ${res.body}`);
  }
  t.equal(content['text/csv']!.example, IMPORT_CSV_EXAMPLE);
});
