// @ts-check
/* global sessionStorage, atob, TextDecoder */
// The access token lives in sessionStorage (this tab only, gone when it closes), never in a URL.

const KEY = 'hetao.token';

/**
 * @typedef {{sub: string, role: string, username?: string, checkpoint?: string, institutionId?: string,
 *   researcherId?: string, exp?: number}} Claims
 */

/** @returns {string | null} */
export function getToken() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return memoryToken;
  }
}

/** @type {string | null} */
let memoryToken = null;

/** @param {string} token */
export function setToken(token) {
  memoryToken = token;
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // storage refused: the token lives in memory for this page
  }
}

export function clearToken() {
  memoryToken = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

/**
 * What the token says about its holder (read, not verified: the server verifies every call).
 * @param {string | null} [token]
 * @returns {Claims | null}
 */
export function claims(token = getToken()) {
  if (!token) return null;
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const bin = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** A token that is missing or past its expiry (with a few seconds' margin). */
export function hasLiveToken() {
  const c = claims();
  return c !== null && (c.exp === undefined || c.exp * 1000 > Date.now() + 5000);
}
