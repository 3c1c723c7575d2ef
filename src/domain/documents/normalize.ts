/**
 * Input clean-up shared by the document validators.
 *
 * People paste identifiers from many sources; Chinese input methods in particular
 * produce full-width characters (`Ａ１２３（３）`), and word processors turn hyphens
 * into dashes. Those are folded to plain ASCII before any format check.
 */

const FULL_WIDTH_START = 0xff01; // '！'
const FULL_WIDTH_END = 0xff5e; // '～'
const FULL_WIDTH_OFFSET = 0xff01 - 0x21;
const IDEOGRAPHIC_SPACE = '\u3000';

/** Map full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space to ASCII. */
export function toHalfWidth(raw: string): string {
  let out = '';
  for (const ch of raw) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= FULL_WIDTH_START && code <= FULL_WIDTH_END) {
      out += String.fromCharCode(code - FULL_WIDTH_OFFSET);
    } else if (ch === IDEOGRAPHIC_SPACE) {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Upper-case ASCII letters only. `String#toUpperCase` would turn `ß` into `SS` or
 * `ı` into `I`, silently making a wrong input valid; non-ASCII letters are left
 * alone so the charset check rejects them.
 */
export function asciiUpperCase(s: string): string {
  return s.replace(/[a-z]/g, (c) => c.toUpperCase());
}

/** Whitespace, hyphen-like dashes and brackets `()[]` (full-width ones are folded first). */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212()[\]]/g;

/**
 * The normalisation applied to every identity document number before validation:
 * NFKC (which folds full-width characters, as toHalfWidth does, and other compatibility
 * forms), trim, upper-case, and remove spaces, hyphens and brackets `()[]` / `（）`.
 */
export function normalizeDocumentInput(raw: string): string {
  return asciiUpperCase(toHalfWidth(raw.normalize('NFKC')).trim()).replace(SEPARATORS, '');
}

/** Describe a character for an error message, e.g. `'<'` or `U+00E9 'é'`. */
export function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code >= 0x21 && code <= 0x7e) return `'${ch}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} '${ch}'`;
}

/** First character of `s` not matching `allowed` (a single-character regex), if any. */
export function firstInvalidChar(s: string, allowed: RegExp): string | undefined {
  for (const ch of s) {
    if (!allowed.test(ch)) return ch;
  }
  return undefined;
}
