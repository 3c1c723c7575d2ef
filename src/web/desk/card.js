// @ts-check
// The traveller card: green / amber / red with words, the alerts, the facts the officer checks.
import { h } from '../shared/dom.js';
import { dateEl, language } from '../shared/i18n.js';

/**
 * @typedef {import('./types.js').Card} Card
 * @typedef {import('./types.js').CardItem} CardItem
 * @typedef {import('./types.js').Crossing} Crossing
 * @typedef {import('./types.js').Reason} Reason
 */

const DAY_MS = 86_400_000;

/**
 * Green: nothing stands in the way. Amber: nothing flags yet, but the officer should look (a typed number, an end
 * within 30 days, an item not usable). Red: the crossing will be flagged.
 * @param {Card} card
 * @returns {{level: 'green' | 'amber' | 'red', notes: string[]}}
 */
export function standing(card) {
  // Any alert is a reason the crossing will be flagged: no list of codes to keep in step with the API.
  if (!card.whitelist.inGoodStanding || card.alerts.length > 0) {
    return { level: 'red', notes: [] };
  }
  const notes = [];
  if (card.documentChecks.mrz === null) notes.push('amber.typed');
  const soon = new Date(Date.now() + 30 * DAY_MS).toISOString().slice(0, 10);
  if (card.document.expiresOn <= soon || (card.whitelist.validUntil !== null && card.whitelist.validUntil <= soon)) notes.push('amber.endsSoon');
  if (card.items.some((i) => i.overdue || i.status !== 'approved')) notes.push('amber.items');
  return { level: notes.length ? 'amber' : 'green', notes };
}

/** @param {Reason} r @param {Card | null} card */
export function reasonSpec(r, card) {
  const item = r.itemId ? card?.items.find((i) => i.id === r.itemId)?.name : undefined;
  const reason = { key: `reason.${r.code}`, fallback: r.code };
  if (item) return /** @type {[string, Record<string, unknown>, string]} */ (['decision.item', { reason, item }, `${r.code} — ${item}`]);
  return /** @type {[string, undefined, string]} */ ([`reason.${r.code}`, undefined, r.code]);
}

/** @param {...(Node | null)} nodes @returns {Node[]} */
export function present(...nodes) {
  return /** @type {Node[]} */ (nodes.filter((n) => n !== null));
}

/** @param {string} labelKey @param {...(Node | string | null)} value */
function row(labelKey, ...value) {
  return [h('dt', { i18n: [labelKey] }), h('dd', {}, ...value)];
}

/**
 * The card's nodes: its standing in colour, symbol and words, the alerts, the facts, the document checks, then the
 * declaration form.
 * @param {Card} card @param {HTMLFormElement} declaration
 */
export function cardNodes(card, declaration) {
  const { level, notes } = standing(card);
  const r = card.researcher;
  const inst = card.institution;
  const checks = card.documentChecks;
  const symbol = { green: '✓', amber: '!', red: '✕' }[level];
  const validity = (/** @type {string | null} */ from, /** @type {string | null} */ to) =>
    h('span', {}, from ? dateEl(from) : h('span', { i18n: ['card.open'] }), ' – ', to ? dateEl(to) : h('span', { i18n: ['card.open'] }));
  const checkLine = (/** @type {string} */ key, /** @type {boolean} */ ok) =>
    h('li', { class: ok ? 'ok' : 'bad' }, h('span', { i18n: [key] }), ': ', h('strong', { i18n: [ok ? 'check.ok' : 'check.mismatch'] }));

  return present(
    h(
      'div',
      { class: `standing standing-${level}` },
      h('span', { class: 'symbol', 'aria-hidden': 'true', text: symbol }),
      h('div', {},
        h('h2', { id: 'card-h' }, h('span', { class: 'name', text: r.fullName }), r.nameZh ? h('span', { class: 'name-zh', lang: 'zh', text: ` ${r.nameZh}` }) : null),
        h('p', { class: 'standing-word', i18n: [`card.status.${level}`] }),
      ),
    ),
    notes.length ? h('ul', { class: 'notes' }, ...notes.map((n) => h('li', { i18n: [n] }))) : null,
    card.alerts.length
      ? h('div', { class: 'alerts' }, h('h3', { i18n: ['card.alerts'] }), h('ul', {}, ...card.alerts.map((a) => h('li', { i18n: reasonSpec(a, card) }))))
      : null,
    h(
      'dl',
      { class: 'facts' },
      ...row('card.institution', inst.nameZh && language() !== 'en' ? `${inst.nameZh} (${inst.name})` : inst.name,
        inst.status === 'suspended' ? h('strong', { class: 'bad-text' }, ' — ', h('span', { i18n: ['card.institutionSuspended'] })) : null),
      ...row('card.whitelist', h('span', { i18n: [`status.${card.whitelist.status}`] }), ' · ', validity(card.whitelist.validFrom, card.whitelist.validUntil)),
      ...row('card.dateOfBirth', dateEl(r.dateOfBirth)),
      ...row('card.nationality', r.nationality),
      ...row('card.document', h('span', { i18n: [`kind.${card.document.kind}`, undefined, card.document.kind] }), ` ${card.document.number} (${card.document.issuingCountry})`),
      ...row('card.documentExpires', dateEl(card.document.expiresOn), ' · ', h('strong', { class: checks.expired ? 'bad-text' : '', i18n: [checks.expired ? 'check.isExpired' : 'check.inDate'] })),
      ...row('card.documentStatus', h('span', { class: card.document.status === 'approved' ? '' : 'bad-text', i18n: [`status.${card.document.status}`] })),
    ),
    h(
      'div',
      { class: 'checks' },
      h('h3', { i18n: ['card.checks'] }),
      checks.mrz
        ? h('ul', {}, checkLine('check.dateOfBirth', checks.mrz.dateOfBirthMatches), checkLine('check.nationality', checks.mrz.nationalityMatches), checkLine('check.expiresOn', checks.mrz.expiresOnMatches))
        : h('p', { i18n: ['check.noMrz'] }),
    ),
    declaration,
  );
}
