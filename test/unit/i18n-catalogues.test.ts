// The desk's message catalogues: the same keys in all three languages, the same placeholders,
// text for every reason code of the contract and for every value the API shows.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { REASON_CODES } from '../../src/domain/decision/types.js';
import { DIRECTIONS, INSPECTION_OUTCOMES, ITEM_CATEGORIES, ITEM_STATUSES } from '../../src/db/schema.js';
import { DOCUMENT_KINDS } from '../../src/domain/documents/types.js';

const WEB = fileURLToPath(new URL('../../src/web/', import.meta.url));
const LANGS = ['en', 'zh-Hant-HK', 'zh-Hans-CN'];
const catalogues = Object.fromEntries(
  LANGS.map((l) => [l, JSON.parse(readFileSync(`${WEB}i18n/${l}.json`, 'utf8')) as Record<string, string>]),
);
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

t.same(readdirSync(`${WEB}i18n`).sort(), LANGS.map((l) => `${l}.json`).sort(), 'one catalogue per language, no other');

t.test('every key of any catalogue is in every catalogue', async (tt) => {
  const all = new Set(Object.values(catalogues).flatMap((c) => Object.keys(c)));
  for (const lang of LANGS) {
    const missing = [...all].filter((k) => !(k in catalogues[lang]!));
    tt.same(missing, [], `${lang} misses no key`);
  }
});

t.test('the same placeholders in every language, and no empty text', async (tt) => {
  for (const key of Object.keys(catalogues.en!)) {
    for (const lang of LANGS) {
      const text = catalogues[lang]![key];
      if (text === undefined) continue;
      tt.ok(text.trim().length > 0, `${lang} ${key} is not empty`);
      tt.same(placeholders(text), placeholders(catalogues.en![key]!), `${lang} ${key} has the placeholders of en`);
    }
  }
});

t.test('every reason code of the contract has text in all three', async (tt) => {
  for (const code of REASON_CODES) {
    for (const lang of LANGS) tt.ok(catalogues[lang]![`reason.${code}`], `${lang} reason.${code}`);
  }
  const extra = Object.keys(catalogues.en!).filter((k) => k.startsWith('reason.') && !(REASON_CODES as readonly string[]).includes(k.slice(7)));
  tt.same(extra, [], 'no text for a code the contract does not have');
});

t.test('every value the desk shows from the API has a name', async (tt) => {
  const keys = [
    ...DOCUMENT_KINDS.map((k) => `kind.${k}`),
    ...ITEM_CATEGORIES.map((c) => `category.${c}`),
    ...ITEM_STATUSES.map((s) => `status.${s}`),
    ...['nominated', 'approved', 'rejected', 'suspended', 'revoked', 'expired', 'pending'].map((s) => `status.${s}`),
    ...DIRECTIONS.map((d) => `direction.${d}`),
    ...INSPECTION_OUTCOMES.map((o) => `outcome.${o}`),
    'side.SZ',
    'side.HK',
    'decision.CLEARED',
    'decision.FLAGGED',
  ];
  for (const key of keys) for (const lang of LANGS) tt.ok(catalogues[lang]![key], `${lang} ${key}`);
});

t.test('every key the pages name in their code is in the catalogues', async (tt) => {
  const files = ['shared', 'desk'].flatMap((dir) =>
    readdirSync(`${WEB}${dir}`).filter((f) => f.endsWith('.js')).map((f) => `${WEB}${dir}/${f}`),
  );
  const named = new Set<string>();
  for (const file of files) {
    const src = readFileSync(file, 'utf8');
    // Keys are written as 'area.name' literals (i18n: ['…'], setI18n(el, ['…']), notice: '…').
    for (const m of src.matchAll(/'([a-z]+(?:\.[A-Za-z0-9_]+)+)'/g)) {
      if (/\.(js|json|css|html)$/.test(m[1]!) || m[1]!.startsWith('hetao.')) continue;
      named.add(m[1]!);
    }
  }
  tt.ok(named.size > 50, `found the keys (${named.size})`);
  const missing = [...named].filter((k) => !(k in catalogues.en!));
  tt.same(missing, [], 'no key named in code is missing');
});
