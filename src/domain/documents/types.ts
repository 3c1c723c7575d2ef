/** The identity documents the whitelist knows how to validate. */
export type DocumentKind = 'passport' | 'hkid' | 'prc_id' | 'hk_macao_permit' | 'home_return_permit';

/** Outcome of validating (and normalising) one identifier. */
export type ValidationResult = { ok: true; normalized: string } | { ok: false; message: string };

/** Every document kind, in a stable order (useful for schemas and tests). */
export const DOCUMENT_KINDS: readonly DocumentKind[] = [
  'passport',
  'hkid',
  'prc_id',
  'hk_macao_permit',
  'home_return_permit',
];

export function isDocumentKind(value: unknown): value is DocumentKind {
  return typeof value === 'string' && (DOCUMENT_KINDS as readonly string[]).includes(value);
}
