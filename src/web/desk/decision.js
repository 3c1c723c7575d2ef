// @ts-check
// The decision, and the inspection outcome of a FLAGGED crossing.
import { api, ApiError, newIdempotencyKey } from '../shared/api.js';
import { h, setI18n, uid } from '../shared/dom.js';
import { describeProblem, showMessages } from '../shared/problems.js';
import { present, reasonSpec } from './card.js';

/**
 * @typedef {import('./types.js').Card} Card
 * @typedef {import('./types.js').CardItem} CardItem
 * @typedef {import('./types.js').Crossing} Crossing
 * @typedef {import('./types.js').Reason} Reason
 */

const OUTCOMES = ['RELEASED', 'DETAINED', 'REFUSED_ENTRY'];


/**
 * The decision in large type, each reason in the officer's language, and for FLAGGED the inspection form.
 * @param {Crossing} crossing @param {Card | null} card @param {() => void} onRecorded
 */
export function decisionNodes(crossing, card, onRecorded) {
  const flagged = crossing.decision === 'FLAGGED';
  return present(
    h('h2', { id: 'decision-h', class: 'visually-hidden', i18n: ['decision.heading'] }),
    h(
      'div',
      { class: `decision decision-${flagged ? 'flagged' : 'cleared'}`, role: 'status' },
      h('p', { class: 'decision-word', lang: 'en', text: crossing.decision }),
      h('p', { class: 'decision-words', i18n: [`decision.${crossing.decision}`] }),
    ),
    crossing.reasons.length
      ? h('div', { class: 'reasons' }, h('h3', { i18n: ['decision.reasons'] }), h('ul', {}, ...crossing.reasons.map((r) => h('li', { i18n: reasonSpec(r, card) }))))
      : null,
    flagged ? inspectionForm(crossing, onRecorded) : null,
  );
}

/** @param {Crossing} crossing @param {() => void} onRecorded */
function inspectionForm(crossing, onRecorded) {
  const notesId = uid('notes');
  const groupId = uid('outcome');
  const radios = OUTCOMES.map((o, i) => {
    const id = uid('outcome');
    const input = h('input', { type: 'radio', name: groupId, id, value: o, checked: i === 0 });
    return { input, el: h('div', { class: 'radio' }, input, h('label', { for: id, i18n: [`outcome.${o}`] })) };
  });
  const notes = h('textarea', { id: notesId, rows: 2, required: true, maxLength: 4000 });
  const formMessages = h('div', { class: 'messages', role: 'alert', hidden: true });
  const done = h('p', { class: 'recorded', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary', i18n: ['inspection.submit'] });
  const key = newIdempotencyKey();
  const form = h(
    'form',
    { class: 'inspection', novalidate: true, on: { submit: onRecord } },
    h('h3', { i18n: ['inspection.heading'] }),
    h('fieldset', {}, h('legend', { i18n: ['inspection.outcome'] }), ...radios.map((r) => r.el)),
    h('div', { class: 'field' }, h('label', { for: notesId, i18n: ['inspection.notes'] }), notes),
    submit,
    formMessages,
    done,
  );
  /** @param {Event} e */
  async function onRecord(e) {
    e.preventDefault();
    const outcome = radios.find((r) => r.input.checked)?.input.value ?? 'RELEASED';
    submit.disabled = true;
    showMessages(formMessages, []);
    try {
      await api('POST', `/v1/crossings/${crossing.id}/inspection`, {
        headers: { 'idempotency-key': key },
        body: { outcome, notes: notes.value },
      });
      setI18n(done, ['inspection.recorded', { outcome: { key: `outcome.${outcome}` } }]);
      for (const el of form.querySelectorAll('input, textarea, button')) /** @type {HTMLInputElement} */ (el).disabled = true;
      onRecorded();
    } catch (err) {
      submit.disabled = false;
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) return;
      showMessages(formMessages, describeProblem(err));
    }
  }
  return form;
}
