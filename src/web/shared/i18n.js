// @ts-check
/* global document, fetch, localStorage, HTMLElement */
// Message catalogues (src/web/i18n/<language>.json), the language choice and the "Language" control.
import { h, setTranslator, uid } from './dom.js';

/** The languages of the pages, each named in itself. */
export const LANGUAGES = /** @type {const} */ ([
  { code: 'zh-Hant-HK', name: '繁體中文' },
  { code: 'zh-Hans-CN', name: '简体中文' },
  { code: 'en', name: 'English' },
]);
/** @typedef {(typeof LANGUAGES)[number]['code']} Language */

const STORAGE_KEY = 'hetao.language';
/** @type {Language} */
let current = 'en';
/** @type {Record<string, string>} */
let messages = {};
/** @type {Set<(lang: Language) => void>} */
const listeners = new Set();

/**
 * The officer's language: the one chosen on this browser before, else the browser's first that we have.
 * @param {readonly string[]} preferred
 * @returns {Language}
 */
export function pickLanguage(preferred) {
  const stored = safeStorageGet();
  if (stored && LANGUAGES.some((l) => l.code === stored)) return /** @type {Language} */ (stored);
  for (const tag of preferred) {
    const t = tag.toLowerCase();
    if (t.startsWith('en')) return 'en';
    if (/^zh-(hant|hk|tw|mo)/.test(t)) return 'zh-Hant-HK';
    if (t.startsWith('zh')) return 'zh-Hans-CN';
  }
  return 'en';
}

function safeStorageGet() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** @returns {Language} */
export function language() {
  return current;
}

/**
 * Loads a catalogue and re-translates the page.
 * @param {Language} code
 * @param {{remember?: boolean}} [opts]
 */
export async function setLanguage(code, opts = {}) {
  const res = await fetch(`/i18n/${code}.json`);
  if (!res.ok) throw new Error(`catalogue ${code}: ${res.status}`);
  messages = await res.json();
  current = code;
  document.documentElement.lang = code;
  if (opts.remember) {
    try {
      localStorage.setItem(STORAGE_KEY, code);
    } catch {
      // private mode: the choice lasts this page only
    }
  }
  translateTree(document.documentElement);
  for (const fn of listeners) fn(code);
}

/** @param {(lang: Language) => void} fn */
export function onLanguageChange(fn) {
  listeners.add(fn);
}

/**
 * A message in the current language. `{name}` placeholders take the arguments; an argument
 * `{key, args}` is itself translated. An unknown key gives `fallback`, else the key itself.
 * @param {string} key
 * @param {Record<string, unknown>} [args]
 * @param {string} [fallback]
 * @returns {string}
 */
export function t(key, args, fallback) {
  const template = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : undefined;
  if (template === undefined) return fallback ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    const v = args?.[name];
    if (v === undefined || v === null) return whole;
    if (typeof v === 'object' && 'key' in v) {
      const o = /** @type {{key: string, args?: Record<string, unknown>, fallback?: string}} */ (v);
      return t(o.key, o.args, o.fallback);
    }
    return String(v);
  });
}

/** Whether the current catalogue has this key (unknown reason codes show their code). */
/** @param {string} key */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(messages, key);
}

/**
 * Re-translates every element marked by `h(…, {i18n: […]})` or `data-i18n` under root,
 * and the attributes named by `data-i18n-attr` (e.g. aria-label).
 * @param {Element} root
 */
export function translateTree(root) {
  const marked = /** @type {HTMLElement[]} */ ([...root.querySelectorAll('[data-i18n]')]);
  if (root instanceof HTMLElement && root.dataset.i18n) marked.push(root);
  for (const el of marked) {
    const key = /** @type {string} */ (el.dataset.i18n);
    const args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : undefined;
    const text = t(key, args, el.dataset.i18nFallback);
    const attr = el.dataset.i18nAttr;
    if (attr) el.setAttribute(attr, text);
    else el.textContent = text;
  }
  for (const el of /** @type {HTMLElement[]} */ ([...root.querySelectorAll('[data-date]')])) {
    el.textContent = formatDate(/** @type {string} */ (el.dataset.date), el.dataset.dateStyle === 'time');
  }
}

// An element is translated as soon as it is marked, so nothing ever shows a raw key.
setTranslator((el) => translateTree(el));

/**
 * A date (YYYY-MM-DD) or time (RFC 3339) in the current language.
 * @param {string} iso
 * @param {boolean} [timeOnly]
 */
export function formatDate(iso, timeOnly = false) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) {
    const [y, m, d] = iso.split('-').map(Number);
    return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1)));
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(current, timeOnly ? { timeStyle: 'medium' } : { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/**
 * An element showing a date that follows the language.
 * @param {string} iso
 * @param {boolean} [timeOnly]
 */
export function dateEl(iso, timeOnly = false) {
  const el = h('time', { dateTime: iso, text: formatDate(iso, timeOnly) });
  el.dataset.date = iso;
  if (timeOnly) el.dataset.dateStyle = 'time';
  return el;
}

/** The "Language" / "語言" / "语言" control, each language named in itself. */
export function languageControl() {
  const id = uid('language');
  const select = h(
    'select',
    { id, on: { change: () => void setLanguage(/** @type {Language} */ (select.value), { remember: true }) } },
    ...LANGUAGES.map((l) => h('option', { value: l.code, lang: l.code, text: l.name })),
  );
  select.value = current;
  onLanguageChange((code) => {
    select.value = code;
  });
  return h('div', { class: 'language' }, h('label', { for: id, i18n: ['lang.label'] }), select);
}
