// @ts-check
/* global document, navigator, performance, requestAnimationFrame, setTimeout, setInterval */
// The officer's desk: scan → traveller card → declare crossing → decision → inspection; recent crossings.
import { api, ApiError, newIdempotencyKey, onUnauthorized } from '../shared/api.js';
import { h, setI18n, uid } from '../shared/dom.js';
import { language, onLanguageChange, pickLanguage, setLanguage } from '../shared/i18n.js';
import { describeProblem, showMessages } from '../shared/problems.js';
import { claims, clearToken, hasLiveToken } from '../shared/session.js';
import { mountShell } from '../shared/shell.js';
import { signIn } from '../shared/signin.js';
import { cardNodes } from './card.js';
import { decisionNodes } from './decision.js';
import { declareForm } from './declare.js';
import { recentNodes } from './recent.js';

/**
 * @typedef {import('./types.js').Card} Card
 * @typedef {import('./types.js').Crossing} Crossing
 * @typedef {import('./types.js').TravellerRef} TravellerRef
 */

const DOCUMENT_KINDS = ['passport', 'hkid', 'prc_id', 'hk_macao_permit', 'home_return_permit'];
const RECENT_LIMIT = 10;
const RECENT_REFRESH_MS = 30_000;

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

// --- the card, the decision, recent crossings (their nodes are built in card.js, decision.js, recent.js) --------

/** The card's declaration form, hidden once its crossing is decided. @type {HTMLFormElement | null} */
let declaration = null;

/** @param {Card} card */
function renderCard(card) {
  declaration = declareForm(card, { state, onDecided: renderDecision });
  cardSection.replaceChildren(...cardNodes(card, declaration));
  cardSection.hidden = false;
}

/** @param {Crossing} crossing @param {Card | null} card */
function renderDecision(crossing, card) {
  decisionSection.replaceChildren(
    ...decisionNodes(crossing, card, () => {
      void refreshRecent();
      scan.focus();
    }),
  );
  decisionSection.hidden = false;
  // The card stays in view below the decision; it is declared once.
  if (declaration) declaration.hidden = true;
  void refreshRecent();
  scan.focus();
}

async function refreshRecent() {
  const cp = state.officer?.checkpoint;
  if (!cp) return;
  try {
    const page = await api('GET', `/v1/crossings?checkpoint=${encodeURIComponent(cp)}&limit=${RECENT_LIMIT}`);
    state.recent = page.items;
    recentBody.replaceChildren(recentNodes(state.recent));
  } catch (err) {
    if (err instanceof ApiError && err.status !== 401) {
      recentBody.replaceChildren(h('p', { class: 'bad-text' }, ...describeProblem(err).map((m) => h('span', { i18n: m }))));
    }
  }
}
