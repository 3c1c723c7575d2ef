import type { DocumentKind, ValidationResult } from './types.js';
import { validatePassportNumber } from './passport.js';
import { validateHkid } from './hkid.js';
import { validatePrcId } from './prc-id.js';
import { validateHkMacaoPermit, validateHomeReturnPermit } from './permits.js';

/** The validator used for each document kind. */
export const documentValidators: Readonly<Record<DocumentKind, (raw: string) => ValidationResult>> = {
  passport: validatePassportNumber,
  hkid: validateHkid,
  prc_id: (raw) => validatePrcId(raw),
  hk_macao_permit: validateHkMacaoPermit,
  home_return_permit: validateHomeReturnPermit,
};

/** Validate and normalise a document number of the given kind. */
export function validateDocumentNumber(kind: DocumentKind, raw: string): ValidationResult {
  // `kind` may come from untyped input (JSON, CSV); guard against prototype keys too.
  const validator = Object.hasOwn(documentValidators, kind) ? documentValidators[kind] : undefined;
  if (validator === undefined) {
    return { ok: false, message: `Unknown document kind ${JSON.stringify(kind)}` };
  }
  if (typeof raw !== 'string') {
    return { ok: false, message: 'Document number must be a string' };
  }
  return validator(raw);
}
