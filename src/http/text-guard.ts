// NUL, or a UTF-16 surrogate without its partner.
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first string (or key) in a parsed body that Postgres could not store faithfully. */
export function findBadText(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return BAD_TEXT.test(value) ? path.replace(/\.$/, '') : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadText(value[i], `${path}${i}.`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (BAD_TEXT.test(k)) return `${path}${k}`.replace(/\.$/, '');
    const found = findBadText(v, `${path}${k}.`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
