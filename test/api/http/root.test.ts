import t from 'tap';
import { buildTestApp } from '../../support/app.js';

/**
 * A newcomer who opens the bare address gets directions, not a 404: GET / names
 * the API reference, the OpenAPI document and readiness, and every link it gives
 * answers.
 */

const ctx = await buildTestApp(t);

t.test('GET / without a token points to /docs, /docs/json and /health/ready', async (t) => {
  const res = await ctx.request({ method: 'GET', url: '/' });
  t.equal(res.statusCode, 200, res.body);
  t.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json() as { service: string; message: string; links: Record<string, string> };
  t.equal(body.service, 'hetao-clearance');
  t.match(body.message, /\/docs/, 'the message names the reference');
  t.match(body.links, { docs: '/docs', openapi: '/docs/json', ready: '/health/ready' });
  for (const [page, url] of [
    ['desk', '/desk/'],
    ['portal', '/portal/'],
  ] as const) {
    t.equal(page in body.links, ctx.app.hasRoute({ method: 'GET', url }), `${url} is linked exactly when a route serves it`);
  }
  for (const [name, url] of Object.entries(body.links)) {
    const linked = await ctx.request({ method: 'GET', url });
    t.ok(linked.statusCode < 400 || (name === 'ready' && linked.statusCode === 503), `${name}: GET ${url} answers ${linked.statusCode}`);
  }
  const withGarbage = await ctx.request({ method: 'GET', url: '/', headers: { authorization: 'Bearer garbage' } });
  t.equal(withGarbage.statusCode, 200, 'a bad token does not matter to a public route');
});

t.test('GET / is in the OpenAPI document, with its answer schema', async (t) => {
  const res = await ctx.request({ method: 'GET', url: '/docs/json' });
  t.equal(res.statusCode, 200);
  const doc = res.json() as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: { properties?: object } }> }> }>> };
  const op = doc.paths['/']?.get;
  t.ok(op, 'GET / is documented');
  t.ok(op?.responses['200']?.content?.['application/json']?.schema?.properties, 'its 200 has a schema');
});
