// @ts-check
// The checkpoint's recent crossings.
import { h } from '../shared/dom.js';
import { dateEl } from '../shared/i18n.js';

/**
 * @typedef {import('./types.js').Card} Card
 * @typedef {import('./types.js').CardItem} CardItem
 * @typedef {import('./types.js').Crossing} Crossing
 * @typedef {import('./types.js').Reason} Reason
 */

/** The checkpoint's recent crossings, newest first. @param {Crossing[]} recent @returns {Node} */
export function recentNodes(recent) {
  if (recent.length === 0) return h('p', { i18n: ['recent.none'] });
  return (
    h(
      'table',
      { class: 'recent' },
      h('thead', {}, h('tr', {}, ...['recent.time', 'recent.traveller', 'recent.direction', 'recent.decision', 'recent.inspection'].map((k) => h('th', { scope: 'col', i18n: [k] })))),
      h(
        'tbody',
        {},
        ...recent.map((c) =>
          h(
            'tr',
            { class: c.decision === 'FLAGGED' ? 'flagged' : '' },
            h('td', {}, dateEl(c.decidedAt, true)),
            h('td', {}, c.traveller ? c.traveller.fullName : h('span', { i18n: ['recent.unknown'] })),
            h('td', { i18n: [`direction.${c.direction}`] }),
            h('td', {}, h('strong', { text: c.decision })),
            h('td', {}, c.inspection ? h('span', { i18n: [`outcome.${c.inspection.outcome}`, undefined, c.inspection.outcome] }) : c.decision === 'FLAGGED' ? h('span', { i18n: ['recent.pending'] }) : '—'),
          ),
        ),
      ),
    )
  );
}
