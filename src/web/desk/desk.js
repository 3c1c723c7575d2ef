// @ts-check
/* global document, navigator, performance, requestAnimationFrame, setTimeout, setInterval */
// The officer's desk: scan → traveller card → declare crossing → decision → inspection; recent crossings.
import { api, ApiError, newIdempotencyKey, onUnauthorized } from '../shared/api.js';
import { h, setI18n, uid } from '../shared/dom.js';
import { dateEl, language, onLanguageChange, pickLanguage, setLanguage } from '../shared/i18n.js';
import { describeProblem, showMessages } from '../shared/problems.js';
import { claims, clearToken, hasLiveToken } from '../shared/session.js';
import { mountShell } from '../shared/shell.js';
import { signIn } from '../shared/signin.js';

/**
 * @typedef {{code: string, itemId?: string, detail: string}} Reason
 * @typedef {{id: string, name: string, category: string, status: string, validUntil: string | null,
 *   homeSide: string, currentSide: string | null, returnBy: string | null, overdue: boolean,
 *   remainingQuantity: number | null, unit: string | null, serialNumber: string | null, sha256: string | null}} CardItem
 * @typedef {{researcher: {fullName: string, nameZh: string | null, dateOfBirth: string, nationality: string, status: string,
 *   validFrom: string | null, validUntil: string | null},
 *   institution: {name: string, nameZh: string | null, side: string, status: string},
 *   whitelist: {status: string, validFrom: string | null, validUntil: string | null, inGoodStanding: boolean},
 *   document: {kind: string, number: string, issuingCountry: string, expiresOn: string, status: string},
 *   documentChecks: {expired: boolean, mrz: {dateOfBirthMatches: boolean, nationalityMatches: boolean, expiresOnMatches: boolean} | null},
 *   items: CardItem[], alerts: Reason[]}} Card
 * @typedef {{document: {kind: string, number: string}} | {mrz: string}} TravellerRef
 * @typedef {{id: string, decision: 'CLEARED' | 'FLAGGED', reasons: Reason[], direction: string, decidedAt: string,
 *   traveller: {fullName: string, nameZh: string | null} | null, document: {kind: string, number: string},
 *   inspection: {outcome: string} | null}} Crossing
 */

const DOCUMENT_KINDS = ['passport', 'hkid', 'prc_id', 'hk_macao_permit', 'home_return_permit'];
const DIRECTIONS = ['SZ_TO_HK', 'HK_TO_SZ'];
const OUTCOMES = ['RELEASED', 'DETAINED', 'REFUSED_ENTRY'];
const RECENT_LIMIT = 10;
const RECENT_REFRESH_MS = 30_000;
const DAY_MS = 86_400_000;

const state = {
  /** @type {import('../shared/session.js').Claims | null} */ officer: null,
  /** @type {{code: string, name: string, nameZh: string} | null} */ checkpoint: null,
  /** @type {TravellerRef | null} */ ref: null,
  /** @type {Card | null} */ card: null,
  /** The scan to restore after a sign-in that an expired token forced. */ keptScan: '',
  /** One key per declaration, reused when the officer retries after a network failure. */ declarationKey: '',
  /** @type {Crossing[]} */ recent: [],
};

await setLanguage(pickLanguage(navigator.languages));
const shell = mountShell({ titleKey: 'app.desk.title', nameKey: 'app.desk.name', onSignOut: signOut });

// --- the desk's parts, built once and kept while signed in ------------------------------------------

const scanId = uid('scan');
const kindId = uid('kind');
const hintId = uid('hint');
const scan = h('textarea', {
  id: scanId,
  rows: 3,
  class: 'scan',
  autocomplete: 'off',
  autocapitalize: 'characters',
  spellcheck: 'false',
  'aria-describedby': hintId,
  on: { keydown: onScanKey },
});
const kind = h('select', { id: kindId }, ...DOCUMENT_KINDS.map((k) => h('option', { value: k, i18n: [`kind.${k}`] })));
const scanStatus = h('p', { class: 'scan-status', role: 'status' });
const messages = h('div', { class: 'messages', role: 'alert', hidden: true });
const scanSection = h(
  'section',
  { class: 'panel scan-panel', 'aria-labelledby': `${scanId}-h` },
  h('h2', { id: `${scanId}-h`, class: 'visually-hidden', i18n: ['scan.heading'] }),
  h(
    'form',
    { class: 'scan-form', on: { submit: (/** @type {Event} */ e) => { e.preventDefault(); markScan(); void submitScan(); } } },
    h('div', { class: 'field scan-field' }, h('label', { for: scanId, i18n: ['scan.label'] }), scan),
    h('div', { class: 'field' }, h('label', { for: kindId, i18n: ['scan.kind'] }), kind),
    h('button', { type: 'submit', class: 'primary', i18n: ['scan.submit'] }),
  ),
  h('p', { id: hintId, class: 'hint', i18n: ['scan.hint'] }),
  scanStatus,
  messages,
);
const cardSection = h('section', { class: 'panel card-panel', hidden: true, 'aria-labelledby': 'card-h' });
const decisionSection = h('section', { class: 'panel decision-panel', hidden: true, 'aria-labelledby': 'decision-h' });
const recentBody = h('div', { class: 'recent-body' });
const recentSection = h(
  'section',
  { class: 'panel recent-panel', 'aria-labelledby': 'recent-h' },
  h(
    'div',
    { class: 'panel-head' },
    h('h2', { id: 'recent-h', i18n: ['recent.heading'] }),
    h('button', { type: 'button', class: 'quiet', i18n: ['recent.refresh'], on: { click: () => void refreshRecent() } }),
  ),
  recentBody,
);
const deskLayout = h('div', { class: 'desk' }, h('div', { class: 'work' }, scanSection, decisionSection, cardSection), recentSection);

// The scan input keeps the focus: a click on nothing, or a key typed on nothing, brings it back.
document.addEventListener('click', (e) => {
  if (!deskLayout.isConnected) return;
  const target = /** @type {Element} */ (e.target);
  if (!target.closest('input, select, textarea, button, a, label, summary')) scan.focus();
});
document.addEventListener('keydown', (e) => {
  if (deskLayout.isConnected && (document.activeElement === document.body || document.activeElement === null) && e.key.length === 1) scan.focus();
});

onUnauthorized(() => {
  if (!deskLayout.isConnected) return;
  state.keptScan = state.keptScan || scan.value;
  void start('signin.expired');
});
onLanguageChange(() => {
  renderWho();
});
setInterval(() => {
  if (deskLayout.isConnected) void refreshRecent();
}, RECENT_REFRESH_MS);

await start(undefined);

// --- sign-in and sign-out ----------------------------------------------------------------------------

/** @param {string | undefined} notice */
async function start(notice) {
  if (!notice && hasLiveToken() && claims()?.role === 'officer') {
    state.officer = claims();
  } else {
    clearToken();
    shell.setUser(null);
    state.officer = await signIn(shell.main, { roles: ['officer'], notice, wrongRole: 'signin.notOfficer' });
  }
  shell.main.replaceChildren(deskLayout);
  renderWho();
  scan.focus();
  void loadCheckpoint();
  void refreshRecent();
  if (state.keptScan) {
    scan.value = state.keptScan;
    state.keptScan = '';
    markScan();
    await submitScan();
  }
}

function signOut() {
  clearToken();
  state.card = null;
  state.ref = null;
  cardSection.hidden = true;
  decisionSection.hidden = true;
  scan.value = '';
  void start('signin.signedOut');
}

async function loadCheckpoint() {
  try {
    const page = await api('GET', '/v1/checkpoints?limit=100');
    state.checkpoint = page.items.find((/** @type {{code: string}} */ c) => c.code === state.officer?.checkpoint) ?? null;
    renderWho();
  } catch {
    // the code alone is shown
  }
}

function renderWho() {
  const o = state.officer;
  if (!o) return shell.setUser(null);
  const cp = state.checkpoint;
  const name = cp ? (language() === 'en' ? cp.name : cp.nameZh) : (o.checkpoint ?? '');
  shell.setUser(h('span', { i18n: ['shell.whoami', { username: o.username ?? '', checkpoint: name }] }));
}

// --- the scan --------------------------------------------------------------------------------------

/** MRZ lines as a wedge reader types them: letters, digits and `<`, 30 (TD1) or 44 (TD3) long. */
const MRZ_LINE = /^[A-Z0-9<]+$/;

/**
 * Enter ends a scan unless an MRZ is still arriving: a first TD3 line waits for its second,
 * TD1 lines for their third.
 * @param {KeyboardEvent} e
 */
function onScanKey(e) {
  if (e.key !== 'Enter' || e.shiftKey || e.isComposing) return;
  const lines = scan.value.toUpperCase().split('\n').map((l) => l.trim()).filter(Boolean);
  if (awaitingMoreLines(lines)) {
    setI18n(scanStatus, ['scan.waiting']);
    return; // the newline goes in
  }
  e.preventDefault();
  markScan();
  void submitScan();
}

/** @param {string[]} lines */
export function awaitingMoreLines(lines) {
  if (lines.length === 0) return false;
  const len = /** @type {string} */ (lines[0]).length;
  if (!lines.every((l) => MRZ_LINE.test(l) && l.length === len && l.includes('<'))) return false;
  if (len === 44) return lines.length < 2;
  if (len === 30) return lines.length < 3;
  return false;
}

function markScan() {
  performance.clearMarks('scan-enter');
  performance.mark('scan-enter');
}

async function submitScan() {
  const text = scan.value.trim();
  showMessages(messages, []);
  if (!text) {
    showMessages(messages, [['scan.empty']]);
    return;
  }
  if (/^HT1:/i.test(text)) {
    scan.value = '';
    setI18n(scanStatus, ['', undefined, '']);
    showMessages(messages, [['scan.qrUnsupported']]);
    return;
  }
  const lines = text.toUpperCase().split(/\s*\n\s*/).filter(Boolean);
  /** @type {TravellerRef} */
  const ref =
    lines.length > 1 || text.includes('<') ? { mrz: lines.join('\n') } : { document: { kind: kind.value, number: text } };
  setI18n(scanStatus, ['scan.looking']);
  try {
    /** @type {Card} */
    const card = await api('POST', '/v1/clearance/lookup', { body: ref });
    state.ref = ref;
    state.card = card;
    state.declarationKey = newIdempotencyKey();
    scan.value = '';
    setI18n(scanStatus, ['', undefined, '']);
    decisionSection.hidden = true;
    renderCard(card);
    scan.focus();
    markPainted();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 401) {
      state.keptScan = text;
      return;
    }
    scan.value = '';
    setI18n(scanStatus, ['', undefined, '']);
    cardSection.hidden = true;
    decisionSection.hidden = true;
    state.card = null;
    showMessages(messages, describeProblem(err, { notFound: 'error.notFound' }));
    scan.focus();
  }
}

/** Enter → card painted, for the desk's own measure (performance.getEntriesByName('scan-to-card')). */
function markPainted() {
  requestAnimationFrame(() =>
    setTimeout(() => {
      performance.mark('card-painted');
      try {
        performance.measure('scan-to-card', 'scan-enter', 'card-painted');
      } catch {
        // no Enter mark (restored scan)
      }
    }, 0),
  );
}

// --- the traveller card ------------------------------------------------------------------------------

const RED_CODES = new Set([
  'TRAVELLER_NOT_WHITELISTED',
  'TRAVELLER_NOT_APPROVED',
  'TRAVELLER_SUSPENDED',
  'WHITELIST_EXPIRED',
  'INSTITUTION_SUSPENDED',
  'DOCUMENT_EXPIRED',
  'DOCUMENT_DATA_MISMATCH',
  'DOCUMENT_NOT_APPROVED',
]);

/**
 * Green: nothing stands in the way. Amber: nothing flags yet, but the officer should look (a typed number, an end
 * within 30 days, an item not usable). Red: the crossing will be flagged.
 * @param {Card} card
 * @returns {{level: 'green' | 'amber' | 'red', notes: string[]}}
 */
export function standing(card) {
  if (!card.whitelist.inGoodStanding || card.alerts.some((a) => RED_CODES.has(a.code)) || card.alerts.length > 0) {
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
function reasonSpec(r, card) {
  const item = r.itemId ? card?.items.find((i) => i.id === r.itemId)?.name : undefined;
  const reason = { key: `reason.${r.code}`, fallback: r.code };
  if (item) return /** @type {[string, Record<string, unknown>, string]} */ (['decision.item', { reason, item }, `${r.code} — ${item}`]);
  return /** @type {[string, undefined, string]} */ ([`reason.${r.code}`, undefined, r.code]);
}

/** @param {...(Node | null)} nodes @returns {Node[]} */
function present(...nodes) {
  return /** @type {Node[]} */ (nodes.filter((n) => n !== null));
}

/** @param {string} labelKey @param {...(Node | string | null)} value */
function row(labelKey, ...value) {
  return [h('dt', { i18n: [labelKey] }), h('dd', {}, ...value)];
}

/** The card's declaration form, hidden once its crossing is decided. @type {HTMLFormElement | null} */
let declaration = null;

/** @param {Card} card */
function renderCard(card) {
  const { level, notes } = standing(card);
  const r = card.researcher;
  const inst = card.institution;
  const checks = card.documentChecks;
  const symbol = { green: '✓', amber: '!', red: '✕' }[level];
  const validity = (/** @type {string | null} */ from, /** @type {string | null} */ to) =>
    h('span', {}, from ? dateEl(from) : h('span', { i18n: ['card.open'] }), ' – ', to ? dateEl(to) : h('span', { i18n: ['card.open'] }));
  const checkLine = (/** @type {string} */ key, /** @type {boolean} */ ok) =>
    h('li', { class: ok ? 'ok' : 'bad' }, h('span', { i18n: [key] }), ': ', h('strong', { i18n: [ok ? 'check.ok' : 'check.mismatch'] }));

  cardSection.replaceChildren(
    ...present(
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
    (declaration = declareForm(card)),
    ),
  );
  cardSection.hidden = false;
}

/** @param {Card} card */
function declareForm(card) {
  const directionId = uid('direction');
  const direction = h('select', { id: directionId }, ...DIRECTIONS.map((d) => h('option', { value: d, i18n: [`direction.${d}`] })));
  direction.value = usualDirection();
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
      renderDecision(crossing, card);
      void refreshRecent();
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

/** The checkpoint's usual direction: the most common among its recent crossings (else Shenzhen → Hong Kong). */
function usualDirection() {
  const counts = new Map(DIRECTIONS.map((d) => [d, 0]));
  for (const c of state.recent) counts.set(c.direction, (counts.get(c.direction) ?? 0) + 1);
  return (counts.get('HK_TO_SZ') ?? 0) > (counts.get('SZ_TO_HK') ?? 0) ? 'HK_TO_SZ' : 'SZ_TO_HK';
}

// --- the decision and the inspection -----------------------------------------------------------------

/** @param {Crossing} crossing @param {Card | null} card */
function renderDecision(crossing, card) {
  const flagged = crossing.decision === 'FLAGGED';
  decisionSection.replaceChildren(
    ...present(
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
    flagged ? inspectionForm(crossing) : null,
    ),
  );
  decisionSection.hidden = false;
  // The card stays in view below the decision; it is declared once.
  if (declaration) declaration.hidden = true;
  scan.focus();
}

/** @param {Crossing} crossing */
function inspectionForm(crossing) {
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
      void refreshRecent();
      scan.focus();
    } catch (err) {
      submit.disabled = false;
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) return;
      showMessages(formMessages, describeProblem(err));
    }
  }
  return form;
}

// --- recent crossings ----------------------------------------------------------------------------------

async function refreshRecent() {
  const cp = state.officer?.checkpoint;
  if (!cp) return;
  try {
    const page = await api('GET', `/v1/crossings?checkpoint=${encodeURIComponent(cp)}&limit=${RECENT_LIMIT}`);
    state.recent = page.items;
    renderRecent();
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) {
      recentBody.replaceChildren(h('p', { class: 'bad-text' }, ...describeProblem(err).map((m) => h('span', { i18n: m }))));
    }
  }
}

function renderRecent() {
  if (state.recent.length === 0) {
    recentBody.replaceChildren(h('p', { i18n: ['recent.none'] }));
    return;
  }
  recentBody.replaceChildren(
    h(
      'table',
      { class: 'recent' },
      h('thead', {}, h('tr', {}, ...['recent.time', 'recent.traveller', 'recent.direction', 'recent.decision', 'recent.inspection'].map((k) => h('th', { scope: 'col', i18n: [k] })))),
      h(
        'tbody',
        {},
        ...state.recent.map((c) =>
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
    ),
  );
}
