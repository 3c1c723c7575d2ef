// @ts-check
/* global document, MutationObserver */
// The page shell every page shares: title, the "Language" control, who is signed in, "Sign out", and <main>.
import { h } from './dom.js';
import { languageControl } from './i18n.js';

/**
 * @param {{titleKey: string, nameKey: string, onSignOut: () => void}} opts
 */
export function mountShell(opts) {
  const who = h('span', { class: 'who' });
  const signOut = h('button', { type: 'button', class: 'quiet', hidden: true, i18n: ['shell.signOut'], on: { click: opts.onSignOut } });
  const main = h('main', { id: 'main', tabindex: '-1' });
  const header = h(
    'header',
    { class: 'top' },
    h('h1', {}, h('span', { class: 'app', i18n: ['app.name'] }), ' ', h('span', { class: 'page', i18n: [opts.nameKey] })),
    h('div', { class: 'tools' }, who, signOut, languageControl()),
  );
  const title = h('span', { i18n: [opts.titleKey], hidden: true });
  const sync = () => {
    document.title = title.textContent ?? '';
  };
  new MutationObserver(sync).observe(title, { childList: true, characterData: true, subtree: true });
  sync();
  document.body.replaceChildren(header, main, title);
  return {
    main,
    /** @param {HTMLElement | null} content who is signed in (null: nobody) */
    setUser(content) {
      who.replaceChildren(...(content ? [content] : []));
      signOut.hidden = content === null;
    },
  };
}
