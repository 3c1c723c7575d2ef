// @ts-check
// "Declare crossing": which items, how much, which way.
import { api, ApiError, newIdempotencyKey } from '../shared/api.js';
import { h, setI18n, uid } from '../shared/dom.js';
import { describeProblem, showMessages } from '../shared/problems.js';

/**
 * @typedef {import('./types.js').Card} Card
 * @typedef {import('./types.js').CardItem} CardItem
 * @typedef {import('./types.js').Crossing} Crossing
 * @typedef {import('./types.js').Reason} Reason
 */

const DIRECTIONS = ['SZ_TO_HK', 'HK_TO_SZ'];

/**
 * The declaration: the items ticked (quantities for consumables, digests for data) and the direction.
 * @param {Card} card
 * @param {{state: {ref: import('./types.js').TravellerRef | null, officer: {checkpoint?: string} | null, declarationKey: string,
 *   recent: Crossing[]}, onDecided: (crossing: Crossing, card: Card) => void}} desk
 */
export function declareForm(card, desk) {
  const { state } = desk;
  const directionId = uid('direction');
  const direction = h('select', { id: directionId }, ...DIRECTIONS.map((d) => h('option', { value: d, i18n: [`direction.${d}`] })));
  direction.value = usualDirection(state.recent);
  const formMessages = h('div', { class: 'messages', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary big', i18n: ['declare.submit'] });
  /** @type {{item: CardItem, box: HTMLInputElement, amount: HTMLInputElement | null}[]} */
  const lines = [];

  const rows = card.items.map((item) => {
    const boxId = uid('item');
    const box = h('input', { type: 'checkbox', id: boxId });
    /** @type {HTMLInputElement | null} */
    let amount = null;
    if (item.category === 'reagent' || item.category === 'biological_sample') {
      amount = h('input', { type: 'number', min: '0', step: 'any', inputMode: 'decimal', class: 'qty' });
      amount.dataset.i18nAttr = 'aria-label';
      setI18n(amount, ['items.quantity', { name: item.name, unit: item.unit ?? '' }]);
    } else if (item.category === 'data') {
      amount = h('input', { type: 'text', class: 'digest', spellcheck: 'false', autocomplete: 'off', maxLength: 64 });
      amount.dataset.i18nAttr = 'aria-label';
      setI18n(amount, ['items.digest', { name: item.name }]);
    }
    lines.push({ item, box, amount });
    const where = item.currentSide ?? item.homeSide;
    return h(
      'tr',
      { class: item.overdue || item.status !== 'approved' ? 'warn' : '' },
      h('td', {}, box, h('label', { for: boxId, class: 'visually-hidden', i18n: ['items.declare', { name: item.name }] })),
      h('th', { scope: 'row' }, item.name, item.serialNumber ? h('span', { class: 'sub', text: ` ${item.serialNumber}` }) : null),
      h('td', { i18n: [`category.${item.category}`] }),
      h(
        'td',
        {},
        h('span', { i18n: [`status.${item.status}`] }),
        item.overdue ? h('strong', { class: 'bad-text' }, ' · ', h('span', { i18n: ['items.overdue'] })) : null,
      ),
      h(
        'td',
        {},
        h('span', { i18n: [`side.${where}`] }),
        item.returnBy ? h('span', { class: 'sub' }, ' · ', h('span', { i18n: ['items.returnBy', { date: item.returnBy.slice(0, 10) }] })) : null,
        item.remainingQuantity !== null ? h('span', { class: 'sub' }, ' · ', h('span', { i18n: ['items.remaining', { quantity: item.remainingQuantity, unit: item.unit ?? '' }] })) : null,
        item.sha256 ? h('span', { class: 'sub digest-text' }, ' · ', h('span', { i18n: ['items.registered', { digest: item.sha256 }] })) : null,
      ),
      h('td', {}, amount),
    );
  });

  const form = h(
    'form',
    { class: 'declare', on: { submit: onDeclare } },
    h('h3', { i18n: ['declare.heading'] }),
    card.items.length
      ? h(
          'table',
          { class: 'items' },
          h('caption', { i18n: ['items.heading'] }),
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col', i18n: ['items.declareColumn'] }),
            h('th', { scope: 'col', i18n: ['items.name'] }),
            h('th', { scope: 'col', i18n: ['items.category'] }),
            h('th', { scope: 'col', i18n: ['items.state'] }),
            h('th', { scope: 'col', i18n: ['items.where'] }),
            h('th', { scope: 'col', i18n: ['items.details'] }))),
          h('tbody', {}, ...rows),
        )
      : h('p', { i18n: ['items.none'] }),
    h('div', { class: 'declare-row' }, h('div', { class: 'field' }, h('label', { for: directionId, i18n: ['declare.direction'] }), direction), submit),
    formMessages,
  );

  /** @param {Event} e */
  async function onDeclare(e) {
    e.preventDefault();
    if (!state.ref || !state.officer?.checkpoint) return;
    const items = lines
      .filter((l) => l.box.checked)
      .map((l) => {
        /** @type {{itemId: string, quantity?: number, sha256?: string}} */
        const line = { itemId: l.item.id };
        if (l.amount && l.amount.value.trim() !== '') {
          if (l.item.category === 'data') line.sha256 = l.amount.value.trim().toLowerCase();
          else line.quantity = Number(l.amount.value);
        }
        return line;
      });
    submit.disabled = true;
    setI18n(submit, ['declare.busy']);
    showMessages(formMessages, []);
    try {
      /** @type {Crossing} */
      const crossing = await api('POST', '/v1/crossings', {
        headers: { 'idempotency-key': state.declarationKey },
        body: { checkpoint: state.officer.checkpoint, direction: direction.value, traveller: state.ref, items },
      });
      state.declarationKey = newIdempotencyKey();
      desk.onDecided(crossing, card);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) return;
      showMessages(formMessages, describeProblem(err));
    } finally {
      submit.disabled = false;
      setI18n(submit, ['declare.submit']);
    }
  }
  return form;
}

/**
 * The checkpoint's usual direction: the most common among its recent crossings (else Shenzhen → Hong Kong).
 * @param {Crossing[]} recent
 */
function usualDirection(recent) {
  const counts = new Map(DIRECTIONS.map((d) => [d, 0]));
  for (const c of recent) counts.set(c.direction, (counts.get(c.direction) ?? 0) + 1);
  return (counts.get('HK_TO_SZ') ?? 0) > (counts.get('SZ_TO_HK') ?? 0) ? 'HK_TO_SZ' : 'SZ_TO_HK';
}
