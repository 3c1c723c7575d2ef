// @ts-check
// The sign-in form every page shares: "Username", "Password", "Sign in".
import { api } from './api.js';
import { h, setI18n, uid } from './dom.js';
import { describeProblem, showMessages } from './problems.js';
import { claims, setToken } from './session.js';

/**
 * Shows the sign-in form in `main`; resolves with the token's claims once signed in with one of `roles`.
 * @param {HTMLElement} main
 * @param {{roles: string[], notice?: string, wrongRole: string}} opts
 * @returns {Promise<import('./session.js').Claims>}
 */
export function signIn(main, opts) {
  return new Promise((resolve) => {
    const userId = uid('username');
    const passId = uid('password');
    const headingId = uid('signin');
    const username = h('input', { id: userId, name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
    const password = h('input', { id: passId, name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const messages = h('div', { class: 'messages', role: 'alert', hidden: true });
    const button = h('button', { type: 'submit', class: 'primary', i18n: ['signin.submit'] });
    const notice = opts.notice ? h('p', { class: 'notice', role: 'status', i18n: [opts.notice] }) : null;
    const form = h(
      'form',
      { class: 'signin', novalidate: true, on: { submit: onSubmit } },
      h('h2', { id: headingId, i18n: ['signin.heading'] }),
      notice,
      h('div', { class: 'field' }, h('label', { for: userId, i18n: ['signin.username'] }), username),
      h('div', { class: 'field' }, h('label', { for: passId, i18n: ['signin.password'] }), password),
      messages,
      button,
    );
    main.replaceChildren(h('section', { class: 'panel signin-panel', 'aria-labelledby': headingId }, form));
    username.focus();

    /** @param {Event} e */
    async function onSubmit(e) {
      e.preventDefault();
      if (!username.value.trim() || !password.value) {
        showMessages(messages, [['signin.wrong']]);
        (username.value.trim() ? password : username).focus();
        return;
      }
      button.disabled = true;
      setI18n(button, ['signin.busy']);
      try {
        const answer = await api('POST', '/v1/auth/token', {
          signedIn: false,
          body: { grant_type: 'password', username: username.value.trim(), password: password.value },
        });
        const c = claims(answer.access_token);
        if (!c || !opts.roles.includes(c.role)) {
          showMessages(messages, [[opts.wrongRole]]);
          return;
        }
        setToken(answer.access_token);
        resolve(c);
      } catch (err) {
        const e2 = /** @type {import('./api.js').ApiError} */ (err);
        showMessages(messages, e2.status === 401 ? [['signin.wrong']] : describeProblem(e2));
        password.select();
        password.focus();
      } finally {
        button.disabled = false;
        setI18n(button, ['signin.submit']);
      }
    }
  });
}
