import t from 'tap';
import * as documents from '../../../src/domain/documents/index.js';

t.test('the public API is exported from src/documents/index.ts', async (t) => {
  const functions = [
    'normalizeDocumentInput',
    'validatePassportNumber',
    'validateHkid',
    'computeHkidCheckCharacter',
    'validatePrcId',
    'prcIdBirthDate',
    'computePrcIdCheckCharacter',
    'validateHkMacaoPermit',
    'validateHomeReturnPermit',
    'validateDocumentNumber',
    'isDocumentKind',
    'validateCasNumber',
    'computeCasCheckDigit',
    'validateHsCode',
    'parseMrz',
    'computeCheckDigit',
    'buildTd3',
    'buildTd1',
  ];
  for (const name of functions) {
    t.equal(typeof (documents as Record<string, unknown>)[name], 'function', name);
  }
  t.same(documents.DOCUMENT_KINDS, ['passport', 'hkid', 'prc_id', 'hk_macao_permit', 'home_return_permit']);
  t.equal(typeof documents.documentValidators, 'object');
});

t.test('validators are pure: same input, same output, input untouched', async (t) => {
  const input = ' a123456(3) ';
  const first = documents.validateHkid(input);
  const second = documents.validateHkid(input);
  t.same(first, second);
  t.equal(input, ' a123456(3) ');
});
