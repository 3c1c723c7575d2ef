// NUL, a UTF-16 surrogate without its partner (in /u mode \p{Cs} matches only those), or a format character
// (Cf: bidi controls, zero-width spaces and joiners, soft hyphen, BOM, tags…) that makes text read otherwise
// than it is. One test per string; the failure path alone works out what was found.
const BAD_TEXT = /[\u0000\p{Cs}\p{Cf}]/u;

const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const NAMES: Record<number, string> = {
  0x00ad: 'SOFT HYPHEN',
  0x061c: 'ARABIC LETTER MARK',
  0x180e: 'MONGOLIAN VOWEL SEPARATOR',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2061: 'FUNCTION APPLICATION',
  0x2062: 'INVISIBLE TIMES',
  0x2063: 'INVISIBLE SEPARATOR',
  0x2064: 'INVISIBLE PLUS',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE (BOM)',
};

/** What is wrong with a string that BAD_TEXT matched, for the 422 problem. */
export function describeBadText(text: string): string {
  const m = BAD_TEXT.exec(text);
  if (!m) return 'contains a character that cannot be stored';
  const cp = m[0].codePointAt(0)!;
  if (cp === 0) return 'contains a NUL character; remove it';
  if (cp >= 0xd800 && cp <= 0xdfff) return 'contains an unpaired UTF-16 surrogate (not valid Unicode)';
  const line = text.includes('\n') ? ` on line ${text.slice(0, m.index).split('\n').length}` : '';
  const name = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}${NAMES[cp] ? ` ${NAMES[cp]}` : ''}`;
  return BIDI.test(m[0])
    ? `contains a bidirectional control character (${name})${line} that makes text display otherwise than it is; remove it`
    : `contains an invisible formatting character (${name})${line}; remove it`;
}

/** A key as it can be shown back: what BAD_TEXT matches, spelt as U+XXXX. */
const visible = (k: string) => k.replace(/[\u0000\p{Cs}\p{Cf}]/gu, (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);

export interface BadText {
  /** Where: `name`, `items.0.notes`, `query.q`; '' for a body that is one string. */
  path: string;
  message: string;
}

/** The first string (or key) in a parsed body that is not plain, storable text, and what is wrong with it. */
export function findBadText(value: unknown, path: string, depth = 0): BadText | undefined {
  if (typeof value === 'string') return BAD_TEXT.test(value) ? { path: path.replace(/\.$/, ''), message: describeBadText(value) } : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadText(value[i], `${path}${i}.`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (BAD_TEXT.test(k)) return { path: `${path}${visible(k)}`, message: `this key ${describeBadText(k)}` };
    const found = findBadText(v, `${path}${k}.`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
