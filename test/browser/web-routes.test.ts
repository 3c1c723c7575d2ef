// How the service serves its web pages: /desk/ with a strict page CSP, assets cached briefly,
// nothing but the pages' own files (never the server's .ts), the usual 404 problem otherwise.
import t from 'tap';
import { buildTestApp } from '../support/app.js';

const ctx = await buildTestApp(t);
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

t.test('GET /desk redirects to /desk/, which is the page with the strict page CSP', async (tt) => {
  const redirect = await ctx.request({ method: 'GET', url: '/desk' });
  tt.equal(redirect.statusCode, 301);
  tt.equal(redirect.headers.location, '/desk/');
  const page = await ctx.request({ method: 'GET', url: '/desk/' });
  tt.equal(page.statusCode, 200);
  tt.match(page.headers['content-type'], /^text\/html/);
  tt.equal(page.headers['content-security-policy'], PAGE_CSP);
  tt.equal(page.headers['x-content-type-options'], 'nosniff');
  tt.equal(page.headers['referrer-policy'], 'no-referrer');
  tt.equal(page.headers['cache-control'], 'no-cache', 'the page is revalidated');
  tt.ok(page.headers.etag, 'with an ETag');
  tt.notMatch(page.body, /<script>|\sstyle=|\son[a-z]+=/i, 'no inline script, style attribute or handler');
  const again = await ctx.request({ method: 'GET', url: '/desk/', headers: { 'if-none-match': String(page.headers.etag) } });
  tt.equal(again.statusCode, 304);
});

t.test('scripts, styles and catalogues are served and cached for a few minutes', async (tt) => {
  for (const [url, type] of [
    ['/desk/desk.js', /javascript/],
    ['/shared/i18n.js', /javascript/],
    ['/shared/styles.css', /text\/css/],
    ['/i18n/zh-Hant-HK.json', /application\/json/],
  ] as const) {
    const res = await ctx.request({ method: 'GET', url });
    tt.equal(res.statusCode, 200, url);
    tt.match(res.headers['content-type'], type, `${url} type`);
    tt.equal(res.headers['cache-control'], 'public, max-age=300', `${url} cache`);
  }
});

t.test("the server's own files and anything else are a 404 problem", async (tt) => {
  for (const url of ['/desk/../routes.ts', '/shared/..%2froutes.ts', '/desk/routes.ts', '/shared/nothing.js', '/i18n/fr.json', '/web/routes.ts', '/shared/.hidden.js', '/shared/tsconfig.json/', '/i18n/../tsconfig.json', '/i18n/..%2ftsconfig.json', '/i18n/%2e%2e/tsconfig.json']) {
    const res = await ctx.request({ method: 'GET', url });
    tt.ok([403, 404].includes(res.statusCode), `${url} → ${res.statusCode}`);
    tt.match(res.headers['content-type'], /application\/problem\+json/, `${url} is a problem`);
    tt.notMatch(res.body, /import .* from/, `${url} leaks no source`);
  }
  const api = await ctx.request({ method: 'GET', url: '/v1/checkpoints' });
  tt.equal(api.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", 'the API keeps its own CSP');
});

t.test('GET / links the desk, the OpenAPI document hides the page routes', async (tt) => {
  const root = await ctx.request({ method: 'GET', url: '/' });
  tt.equal(root.json().links.desk, '/desk/');
  const doc = await ctx.request({ method: 'GET', url: '/docs/json' });
  const paths = Object.keys(doc.json().paths);
  tt.same(paths.filter((p) => /desk|shared|i18n/.test(p)), [], 'no page route in the API document');
});
