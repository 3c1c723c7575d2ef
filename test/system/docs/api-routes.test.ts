/**
 * docs/api.md, the contract in the repository, lists exactly the operations of the OpenAPI
 * document (docs/openapi.json, which CI checks against the code): a route added, renamed or
 * removed without its row fails here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** `METHOD /path` of every row of the markdown route table ("| GET | `/v1/x` | … |"). */
export function documentedRoutes(markdown: string): string[] {
  const routes: string[] = [];
  for (const line of markdown.split('\n')) {
    const row = /^\|\s*(GET|PUT|POST|DELETE|PATCH)\s*\|\s*([^|]+)\|/.exec(line);
    if (!row) continue;
    for (const path of row[2]!.matchAll(/`([^`]+)`/g)) routes.push(`${row[1]} ${path[1]}`);
  }
  return routes;
}

t.test('docs/api.md lists every operation of docs/openapi.json, and no other', async (t) => {
  const doc = JSON.parse(readFileSync(`${ROOT}docs/openapi.json`, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const inOpenApi = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => METHODS.includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
  // Swagger UI and the document itself are served beside the API, not described in it.
  const notInOpenApi = new Set(['GET /docs', 'GET /docs/json']);
  const documented = documentedRoutes(readFileSync(`${ROOT}docs/api.md`, 'utf8')).filter((r) => !notInOpenApi.has(r));
  t.ok(documented.length > 40, `the route table has rows (${documented.length})`);
  t.same(
    inOpenApi.filter((r) => !documented.includes(r)),
    [],
    'every operation of docs/openapi.json has a row in docs/api.md',
  );
  t.same(
    documented.filter((r) => !inOpenApi.includes(r)),
    [],
    'every row of docs/api.md is an operation of docs/openapi.json',
  );
  t.same(
    documented.filter((r, i) => documented.indexOf(r) !== i),
    [],
    'no route is listed twice',
  );
});

t.test('README links the contract in the repository, not outside it', async (t) => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  t.notMatch(readme, /\.\.\/shared\//, 'no link into ../shared (not in a clone)');
  t.match(readme, /\(docs\/api\.md\)/, 'README links docs/api.md');
});
