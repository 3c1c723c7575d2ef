import t from 'tap';
import {
  DOCUMENT_KINDS,
  documentValidators,
  isDocumentKind,
  validateDocumentNumber,
  validateHkMacaoPermit,
  validateHkid,
  validateHomeReturnPermit,
  validatePassportNumber,
  validatePrcId,
  type DocumentKind,
  type ValidationResult,
} from '../../../src/domain/documents/index.js';

const table: { kind: DocumentKind; direct: (raw: string) => ValidationResult; valid: [string, string]; invalid: string[] }[] = [
  { kind: 'passport', direct: validatePassportNumber, valid: ['l898902c3', 'L898902C3'], invalid: ['', 'ABCDE12345', 'L898902<<'] },
  { kind: 'hkid', direct: validateHkid, valid: ['A123456(3)', 'A1234563'], invalid: ['A123456(4)', 'C668668(E)', 'A12345'] },
  {
    kind: 'prc_id',
    direct: validatePrcId,
    valid: ['11010519491231002x', '11010519491231002X'],
    invalid: ['110105491231002', '110105194902310021', '110105194912310020'],
  },
  { kind: 'hk_macao_permit', direct: validateHkMacaoPermit, valid: ['CA1234567', 'CA1234567'], invalid: ['CI1234567', 'C1234567'] },
  {
    kind: 'home_return_permit',
    direct: validateHomeReturnPermit,
    valid: ['H1234567801', 'H12345678'],
    invalid: ['C12345678', 'H1234567'],
  },
];

for (const row of table) {
  t.test(`dispatches ${row.kind}`, async (t) => {
    const [raw, normalized] = row.valid;
    t.same(validateDocumentNumber(row.kind, raw), { ok: true, normalized }, `valid ${raw}`);
    for (const bad of row.invalid) {
      const r = validateDocumentNumber(row.kind, bad);
      t.equal(r.ok, false, `invalid ${JSON.stringify(bad)}`);
      t.same(r, row.direct(bad), 'same result as the direct validator');
    }
  });
}

t.test('the same number is judged by the kind, not guessed', async (t) => {
  // A valid home return permit number is not a valid HK/Macao permit, and vice versa.
  t.equal(validateDocumentNumber('home_return_permit', 'H12345678').ok, true);
  t.equal(validateDocumentNumber('hk_macao_permit', 'H12345678').ok, false);
  // A valid HKID is also a syntactically valid passport number.
  t.same(validateDocumentNumber('passport', 'A123456(3)'), { ok: true, normalized: 'A1234563' });
});

t.test('every kind has a validator', async (t) => {
  t.same(Object.keys(documentValidators).sort(), [...DOCUMENT_KINDS].sort());
  for (const kind of DOCUMENT_KINDS) t.equal(isDocumentKind(kind), true, kind);
});

t.test('unknown kinds from untyped input are rejected, not thrown', async (t) => {
  for (const kind of ['visa', '', 'toString', '__proto__', 'constructor', 'PASSPORT']) {
    t.equal(isDocumentKind(kind), false, `isDocumentKind(${JSON.stringify(kind)})`);
    t.same(
      validateDocumentNumber(kind as DocumentKind, 'A1234563'),
      { ok: false, message: `Unknown document kind ${JSON.stringify(kind)}` },
      `validateDocumentNumber(${JSON.stringify(kind)})`,
    );
  }
  t.equal(isDocumentKind(undefined), false);
  t.equal(isDocumentKind(42), false);
});

t.test('non-string numbers from untyped input are rejected, not thrown', async (t) => {
  for (const raw of [undefined, null, 12345678, {}]) {
    t.same(validateDocumentNumber('passport', raw as unknown as string), {
      ok: false,
      message: 'Document number must be a string',
    });
  }
});
