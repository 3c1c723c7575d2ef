// @ts-check
/* global document */
// A tiny element builder: no framework, no innerHTML (text is always text).

/**
 * @typedef {Record<string, unknown>} Props
 * `class`, `text`, `i18n` ([key, args?, fallback?]: translated text), `on` ({event: handler}),
 * properties that exist on the element (hidden, checked, value, disabled…), other keys as attributes.
 */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'i18n') setI18n(el, /** @type {[string, Record<string, unknown>?, string?]} */ (value));
    else if (key === 'on') {
      for (const [event, handler] of Object.entries(/** @type {Record<string, EventListener>} */ (value))) el.addEventListener(event, handler);
    } else if (key === 'style') throw new Error('no style attributes: the page CSP refuses them');
    else if (key in el && typeof value !== 'string') /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/**
 * Marks an element's text as translated: the language switch re-translates it (see i18n.js).
 * @param {HTMLElement} el
 * @param {[string, Record<string, unknown>?, string?]} spec key, arguments, text when the key is unknown
 */
export function setI18n(el, [key, args, fallback]) {
  el.dataset.i18n = key;
  if (args) el.dataset.i18nArgs = JSON.stringify(args);
  else delete el.dataset.i18nArgs;
  if (fallback !== undefined) el.dataset.i18nFallback = fallback;
  else delete el.dataset.i18nFallback;
  translator?.(el);
}

/** @type {((el: HTMLElement) => void) | undefined} */
let translator;
/** i18n.js registers how a marked element gets its text. @param {(el: HTMLElement) => void} fn */
export function setTranslator(fn) {
  translator = fn;
}

/** @param {Element} el */
export function clear(el) {
  el.replaceChildren();
}

let idSeq = 0;
/** @param {string} prefix */
export function uid(prefix) {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}
