// @ts-check
/* global fetch, crypto */
// The service's JSON API on this origin: the token as a Bearer header, problems as ApiError.
import { getToken } from './session.js';

/**
 * @typedef {{type?: string, title?: string, status?: number, detail?: string, code?: string,
 *   errors?: {path: string, message: string}[]}} Problem
 */

export class ApiError extends Error {
  /**
   * @param {number} status 0 when the service could not be reached
   * @param {Problem} problem
   * @param {number | null} retryAfter seconds, from Retry-After
   */
  constructor(status, problem, retryAfter = null) {
    super(problem.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

/** @type {((err: ApiError) => void) | undefined} */
let unauthorized;
/** Called when a signed-in call answers 401 (the token expired or was revoked). @param {(err: ApiError) => void} fn */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {{body?: unknown, headers?: Record<string, string>, signedIn?: boolean}} [opts]
 * @returns {Promise<any>}
 */
export async function api(method, path, opts = {}) {
  const signedIn = opts.signedIn ?? true;
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json, application/problem+json', ...opts.headers };
  const token = getToken();
  if (signedIn && token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, { code: 'NETWORK', detail: 'The service cannot be reached' });
  }
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const retry = Number(res.headers.get('retry-after'));
    const err = new ApiError(res.status, data && typeof data === 'object' ? data : { detail: text.slice(0, 200) }, Number.isFinite(retry) && retry > 0 ? retry : null);
    if (res.status === 401 && signedIn) unauthorized?.(err);
    throw err;
  }
  return data;
}

/** A fresh Idempotency-Key (crypto.randomUUID needs a secure context; a desk on plain http has none). */
export function newIdempotencyKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
