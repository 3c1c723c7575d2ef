import t from 'tap';
import { validateHkMacaoPermit, validateHomeReturnPermit } from '../../../src/domain/documents/permits.js';
import type { ValidationResult } from '../../../src/domain/documents/types.js';

type Case = { name: string; input: string } & ({ normalized: string } | { message: RegExp });

function runCases(group: string, validate: (raw: string) => ValidationResult, cases: Case[]) {
  t.test(group, async (t) => {
    for (const c of cases) {
      t.test(c.name, async (t) => {
        const r = validate(c.input);
        if ('normalized' in c) {
          t.same(r, { ok: true, normalized: c.normalized });
        } else {
          t.equal(r.ok, false, 'rejected');
          if (!r.ok) t.match(r.message, c.message);
        }
      });
    }
  });
}

const hkMacaoFormat = /^Hong Kong and Macao permit number must be C followed by 8 digits, or C, a letter and 7 digits/;
runCases('Exit-Entry Permit for Hong Kong and Macao (validateHkMacaoPermit)', validateHkMacaoPermit, [
  { name: 'C + 8 digits', input: 'C12345678', normalized: 'C12345678' },
  { name: 'C + letter + 7 digits', input: 'CA1234567', normalized: 'CA1234567' },
  { name: 'C + Z + 7 digits', input: 'CZ7654321', normalized: 'CZ7654321' },
  { name: 'all zeros', input: 'C00000000', normalized: 'C00000000' },
  { name: 'lower-case', input: 'ca1234567', normalized: 'CA1234567' },
  { name: 'spaces and hyphens', input: ' C 1234-5678 ', normalized: 'C12345678' },
  { name: 'full-width', input: 'Ｃ１２３４５６７８', normalized: 'C12345678' },
  { name: 'empty', input: '', message: /^Hong Kong and Macao permit number is empty$/ },
  { name: 'C + 7 digits', input: 'C1234567', message: hkMacaoFormat },
  { name: 'C + 9 digits', input: 'C123456789', message: hkMacaoFormat },
  { name: 'C + letter + 6 digits', input: 'CA123456', message: hkMacaoFormat },
  { name: 'C + letter + 8 digits', input: 'CA12345678', message: hkMacaoFormat },
  { name: 'C + two letters + 6 digits', input: 'CAB123456', message: hkMacaoFormat },
  { name: 'letter at the end', input: 'C1234567A', message: hkMacaoFormat },
  { name: 'no C prefix', input: '12345678', message: hkMacaoFormat },
  { name: 'wrong prefix D', input: 'D12345678', message: hkMacaoFormat },
  { name: 'home return permit number is not an HK/Macao permit', input: 'H12345678', message: hkMacaoFormat },
  { name: 'letter I after C is not used', input: 'CI1234567', message: /cannot have the letter I after the C/ },
  { name: 'letter O after C is not used', input: 'CO1234567', message: /cannot have the letter O after the C/ },
  { name: 'filler characters', input: 'C1234567<', message: hkMacaoFormat },
]);

t.test('HK/Macao permit: every second letter except I and O', async (t) => {
  for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
    const ok = letter !== 'I' && letter !== 'O';
    t.equal(validateHkMacaoPermit(`C${letter}1234567`).ok, ok, `C${letter}1234567 ${ok ? 'valid' : 'invalid'}`);
  }
});

const homeReturnFormat = /^Home return permit number must be H or M followed by 8 digits, optionally with a 2-digit renewal count/;
runCases('Home return permit (validateHomeReturnPermit)', validateHomeReturnPermit, [
  { name: 'Hong Kong resident H + 8 digits', input: 'H12345678', normalized: 'H12345678' },
  { name: 'Macao resident M + 8 digits', input: 'M12345678', normalized: 'M12345678' },
  { name: 'lower-case', input: 'h12345678', normalized: 'H12345678' },
  { name: 'spaces', input: ' H 1234 5678 ', normalized: 'H12345678' },
  { name: 'older 11-character form drops the renewal count', input: 'H1234567801', normalized: 'H12345678' },
  { name: 'older form, renewal 12, Macao', input: 'M8765432112', normalized: 'M87654321' },
  { name: 'older form with the renewal count in brackets', input: 'H12345678(01)', normalized: 'H12345678' },
  { name: 'older form with full-width brackets', input: 'H12345678（03）', normalized: 'H12345678' },
  { name: 'older form with a hyphen', input: 'H12345678-00', normalized: 'H12345678' },
  { name: 'empty', input: '', message: /^Home return permit number is empty$/ },
  { name: 'H + 7 digits', input: 'H1234567', message: homeReturnFormat },
  { name: 'H + 9 digits', input: 'H123456789', message: homeReturnFormat },
  { name: 'H + 11 digits', input: 'H12345678012', message: homeReturnFormat },
  { name: 'H + 12 digits', input: 'H123456780123', message: homeReturnFormat },
  { name: 'letter in the digits', input: 'H1234A678', message: homeReturnFormat },
  { name: 'letter in the renewal count', input: 'H123456780A', message: homeReturnFormat },
  { name: 'two-letter prefix', input: 'HM12345678', message: homeReturnFormat },
  { name: 'HK/Macao permit prefix C', input: 'C12345678', message: /^Home return permit number must start with H \(Hong Kong\) or M \(Macao\)$/ },
  { name: 'digits only', input: '12345678', message: /must start with H \(Hong Kong\) or M \(Macao\)/ },
]);

t.test('renewals of the same holder normalise to the same number', async (t) => {
  const numbers = ['H12345678', 'H1234567800', 'H1234567801', 'H12345678(02)', 'h12345678 99'];
  const normalized = numbers.map((n) => validateHomeReturnPermit(n));
  for (const r of normalized) t.same(r, { ok: true, normalized: 'H12345678' });
  t.not(
    (validateHomeReturnPermit('M1234567801') as { normalized: string }).normalized,
    'H12345678',
    'a Macao number with the same digits is a different holder',
  );
});
