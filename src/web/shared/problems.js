// @ts-check
// A problem+json answer (or no answer) as lines of text in the officer's language.
import { h } from './dom.js';

/** @typedef {import('./api.js').ApiError} ApiError */
/** @typedef {[string, Record<string, unknown>?, string?]} Msg key, arguments, text when the key is unknown */

const MRZ_FIELD = /^(?:.*\.)?mrz\.(\w+)$/;

/**
 * @param {ApiError} err
 * @param {{notFound?: string}} [context] the message for a 404 here
 * @returns {Msg[]}
 */
export function describeProblem(err, context = {}) {
  const p = err.problem ?? {};
  const s = err.status;
  if (s === 0) return [['error.network']];
  if (s === 404 && context.notFound) return [[context.notFound]];
  if (s === 403) return [['error.forbidden'], ['', undefined, p.detail ?? '']];
  if (s === 409 && p.code === 'INSPECTION_ALREADY_RECORDED') return [['error.alreadyInspected']];
  if (s === 429) return [['error.rateLimited', { seconds: err.retryAfter ?? 60 }]];
  if (s === 503) return [['error.unavailable']];
  if (s >= 500) return [['error.server', { status: s }]];
  const fields = p.errors ?? [];
  const mrz = fields.filter((e) => MRZ_FIELD.test(e.path));
  if (s === 422 && mrz.length > 0) {
    return [['error.badMrz'], ...mrz.map((e) => mrzLine(e))];
  }
  if (fields.length > 0) {
    return [['error.invalid'], ...fields.map((e) => /** @type {Msg} */ (['', undefined, `${e.path}: ${e.message}`]))];
  }
  return [['error.other', { status: s }], ['', undefined, p.detail ?? '']];
}

/**
 * One MRZ fault, named in the officer's language: which check digit, expected and found.
 * @param {{path: string, message: string}} e
 * @returns {Msg}
 */
function mrzLine(e) {
  const field = /** @type {string} */ (MRZ_FIELD.exec(e.path)?.[1]);
  const digits = /expected (\S+), found (\S+)\)/.exec(e.message);
  if (digits) {
    return ['problem.mrzCheck', { what: { key: `mrz.${field}`, fallback: e.message }, expected: digits[1], found: digits[2] }, e.message];
  }
  return [`mrz.${field}`, undefined, e.message];
}

/**
 * Fills a message box (role=alert) with the lines, or empties and hides it.
 * @param {HTMLElement} box
 * @param {Msg[]} lines
 */
export function showMessages(box, lines) {
  box.replaceChildren(...lines.filter(([k, , f]) => k !== '' || f).map((spec) => h('p', { i18n: spec })));
  box.hidden = lines.length === 0;
}
