// The layer guards of eslint.config.js refuse what docs/architecture.md forbids: each
// rule is shown failing on a small violation and passing on the allowed form.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import t from 'tap';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

t.test('src/domain imports no framework, database or logger, and nothing of ours outside itself', async (t) => {
  for (const spec of ['pg', 'drizzle-orm', 'fastify', '@fastify/jwt', '@electric-sql/pglite', 'pino', '../../db/client.js', '../../http/problem.js']) {
    const ids = await ruleIds(`import x from '${spec}';\nexport const y = x;\n`, 'src/domain/decision/example.ts');
    t.ok(ids.some((id) => id === 'no-restricted-imports' || id === 'import-x/no-restricted-paths'), `${spec} is refused in src/domain`);
  }
  t.same(await ruleIds(`import { z } from './other.js';\nexport const y = z;\n`, 'src/domain/decision/example.ts'), []);
  t.same(await ruleIds(`import { z } from '../documents/mrz.js';\nexport const y = z;\n`, 'src/domain/decision/example.ts'), [], 'a sibling in src/domain is fine');
});

t.test('src/db never imports src/http or src/modules', async (t) => {
  t.ok((await ruleIds(`import { x } from '../http/problem.js';\nexport const y = x;\n`, 'src/db/example.ts')).includes('import-x/no-restricted-paths'));
  t.ok((await ruleIds(`import { x } from '../modules/items/queries.js';\nexport const y = x;\n`, 'src/db/example.ts')).includes('import-x/no-restricted-paths'));
  t.same(await ruleIds(`import { x } from '../errors.js';\nexport const y = x;\n`, 'src/db/example.ts'), []);
});

t.test('nothing in src imports bench', async (t) => {
  t.ok((await ruleIds(`import { x } from '../../bench/args.js';\nexport const y = x;\n`, 'src/cli/example.ts')).includes('import-x/no-restricted-paths'));
});

t.test('a file over 400 lines, and a line over 160 characters, are refused in src and bench', async (t) => {
  const long = Array.from({ length: 401 }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';
  t.ok((await ruleIds(long, 'src/modules/example.ts')).includes('max-lines'));
  t.ok((await ruleIds(long, 'bench/example.ts')).includes('max-lines'));
  t.same(await ruleIds(long, 'test/example.test.ts'), [], 'tests may be longer');
  const wide = `export const value = ${Array.from({ length: 40 }, (_, i) => `v${i}`).join(' + ')} + 1;\n`.replace(/v(\d+)/g, '$1');
  t.ok(wide.length > 160);
  t.ok((await ruleIds(wide, 'src/modules/example.ts')).includes('max-len'));
});

t.test('an import circle in src is refused', async (t) => {
  const dir = mkdtempSync(join(root, 'src', '__lint_fixture_'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.ts'), `import { b } from './b.js';\nexport const a = (): number => b() + 1;\n`);
  writeFileSync(join(dir, 'b.ts'), `import { a } from './a.js';\nexport const b = (): number => a() - 1;\n`);
  const results = await eslint.lintFiles([relative(root, join(dir, 'a.ts'))]);
  t.ok(results[0]?.messages.some((m) => m.ruleId === 'import-x/no-cycle'), 'a.ts → b.ts → a.ts');
  writeFileSync(join(dir, 'b.ts'), `export const b = (): number => 1;\n`);
  const fresh = new ESLint({ cwd: root, cache: false });
  const again = await fresh.lintFiles([relative(root, join(dir, 'a.ts'))]);
  t.same(again[0]?.messages.map((m) => m.ruleId), [], 'without the circle, no error');
});
