import t from 'tap';
import { buildTestApp } from '../../support/app.js';
import { WEB_PAGES } from '../../../src/web/routes.js';
import { parsePrintedRoutes, toOpenApiPath } from '../../support/http-checks.js';

/**
 * GET /docs/json is the OpenAPI 3.1 document generated from the route schemas:
 * it lists every route the app serves, each with the schema of its success
 * answer; GET /docs is the Swagger UI.
 */

interface Operation {
  security?: unknown[];
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  security?: unknown[];
}

const WEB_ROUTE = new RegExp(`^/(\\*|(${[...WEB_PAGES, 'shared', 'i18n'].join('|')})(/.*)?)$`);

const ctx = await buildTestApp(t);
const res = await ctx.request({ method: 'GET', url: '/docs/json' });
const doc = res.json<OpenApiDoc>();
const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([m]) => HTTP_METHODS.includes(m))
    .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
);

/** The foundation's routes and whether each is public. */
const FOUNDATION: Array<[string, 'public' | 'bearer']> = [
  ['GET /health/live', 'public'],
  ['GET /health/ready', 'public'],
  ['POST /v1/auth/token', 'public'],
  ['GET /v1/me', 'bearer'],
  ['POST /v1/users', 'bearer'],
  ['GET /v1/users', 'bearer'],
  ['GET /v1/users/{id}', 'bearer'],
  ['POST /v1/users/{id}/disable', 'bearer'],
  ['POST /v1/users/{id}/enable', 'bearer'],
  ['POST /v1/institutions/{id}/api-clients', 'bearer'],
  ['GET /v1/institutions/{id}/api-clients', 'bearer'],
  ['POST /v1/institutions/{id}/api-clients/{clientId}/revoke', 'bearer'],
  ['GET /v1/checkpoints', 'bearer'],
  ['POST /v1/checkpoints', 'bearer'],
  ['GET /v1/audit-events', 'bearer'],
  ['GET /v1/audit-events/verify', 'bearer'],
];

t.test('GET /docs/json answers an OpenAPI 3.1 document, without a token', async (t) => {
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  t.match(String(res.headers['content-type']), /^application\/json/);
  t.match(doc.openapi, /^3\.1\./, 'OpenAPI 3.1');
  t.ok(doc.info.title && doc.info.version, 'info.title and info.version');
  t.ok(doc.components?.securitySchemes?.bearerAuth, 'the bearer scheme is declared');
  t.ok(doc.components?.schemas?.Problem, 'the Problem schema is a named component');
});

t.test('every route the app serves is in the document, and nothing else', async (t) => {
  const registered = parsePrintedRoutes(ctx.app.printRoutes({ commonPrefix: false }))
    .filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS' && !r.url.startsWith('/docs'))
    // The pages and their assets (src/web) are public files, hidden from the API's document by design.
    .filter((r) => !WEB_ROUTE.test(r.url))
    .map((r) => `${r.method} ${toOpenApiPath(r.url)}`);
  const unique = [...new Set(registered)].sort();
  // The parser must have found the foundation at least, or this test proves nothing.
  for (const [route] of FOUNDATION) t.ok(unique.includes(route), `printRoutes shows ${route}`);
  t.same(operations.map((o) => o.key).sort(), unique, 'the document lists exactly the registered routes');
});

t.test('every operation documents the schema of its 200/201 answer', async (t) => {
  t.ok(operations.length >= FOUNDATION.length, `${operations.length} operations`);
  for (const { key, op } of operations) {
    const success = op.responses?.['200'] ?? op.responses?.['201'];
    const schema = success?.content?.['application/json']?.schema;
    t.ok(schema && typeof schema === 'object' && Object.keys(schema).length > 0, `${key} has a 200/201 response schema`);
  }
});

t.test('the foundation routes are documented with their auth: public ones opt out of the bearer scheme, the others document 401 and 403', async (t) => {
  t.same(doc.security, [{ bearerAuth: [] }], 'bearer is the default');
  const byKey = new Map(operations.map((o) => [o.key, o.op]));
  for (const [route, auth] of FOUNDATION) {
    const op = byKey.get(route);
    t.ok(op, `${route} is documented`);
    if (!op) continue;
    if (auth === 'public') {
      t.same(op.security, [], `${route} needs no token`);
    } else {
      t.not(JSON.stringify(op.security), '[]', `${route} does not opt out of the bearer scheme`);
      t.ok(op.responses?.['401'] && op.responses?.['403'], `${route} documents 401 and 403`);
    }
  }
});

t.test('path parameters and bodies are documented from the zod schemas', async (t) => {
  const byKey = new Map(operations.map((o) => [o.key, o.op]));
  const getUser = byKey.get('GET /v1/users/{id}');
  t.ok(getUser?.parameters?.some((p) => p.in === 'path' && p.name === 'id'), 'GET /v1/users/{id} documents its id');
  const revoke = byKey.get('POST /v1/institutions/{id}/api-clients/{clientId}/revoke');
  t.same(revoke?.parameters?.filter((p) => p.in === 'path').map((p) => p.name).sort(), ['clientId', 'id']);
  for (const route of ['POST /v1/users', 'POST /v1/checkpoints', 'POST /v1/auth/token']) {
    t.ok(byKey.get(route)?.requestBody, `${route} documents its body`);
  }
  const list = byKey.get('GET /v1/users');
  t.ok(list?.parameters?.some((p) => p.in === 'query' && p.name === 'limit'), 'lists document limit');
  t.ok(list?.parameters?.some((p) => p.in === 'query' && p.name === 'cursor'), 'and cursor');
});

t.test('the User and created-API-client schemas never document a password or hash', async (t) => {
  const text = JSON.stringify(doc.components?.schemas ?? {});
  t.notMatch(text, /passwordHash|secretHash/, 'no hash fields in any schema');
  const user = JSON.stringify(doc.components?.schemas?.User ?? {});
  t.notMatch(user, /"password"/, 'the User answer has no password');
});

t.test('GET /docs serves the Swagger UI', async (t) => {
  const ui = await ctx.request({ method: 'GET', url: '/docs' });
  t.equal(ui.statusCode, 200, ui.body.slice(0, 200));
  t.match(String(ui.headers['content-type']), /^text\/html/);
  t.match(ui.body, /swagger/i);
  const init = await ctx.request({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
  t.equal(init.statusCode, 200, 'the UI script is served');
});
