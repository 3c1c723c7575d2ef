import t from 'tap';
import { computeHkidCheckCharacter, validateHkid } from '../../../src/domain/documents/hkid.js';

type Case = { name: string; input: string } & ({ normalized: string } | { message: RegExp });

function runCases(cases: Case[]) {
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const r = validateHkid(c.input);
      if ('normalized' in c) {
        t.same(r, { ok: true, normalized: c.normalized });
      } else {
        t.equal(r.ok, false, 'rejected');
        if (!r.ok) t.match(r.message, c.message);
      }
    });
  }
}

// Published examples. The check characters were recomputed by hand and with an
// independent script before being written here.
runCases([
  { name: 'published specimen A123456(3)', input: 'A123456(3)', normalized: 'A1234563' },
  { name: 'published specimen G123456(A) (check 10 → A)', input: 'G123456(A)', normalized: 'G123456A' },
  { name: 'published specimen AB987654(3) (two-letter prefix)', input: 'AB987654(3)', normalized: 'AB9876543' },
  { name: 'published specimen E364912(5)', input: 'E364912(5)', normalized: 'E3649125' },
  { name: 'published specimen AB123456(9)', input: 'AB123456(9)', normalized: 'AB1234569' },
  { name: 'published textbook example D288754(2)', input: 'D288754(2)', normalized: 'D2887542' },
  { name: 'C668668 with its correct check 9', input: 'C668668(9)', normalized: 'C6686689' },
  { name: 'K123456(0): check 11 → 0', input: 'K123456(0)', normalized: 'K1234560' },
  {
    name: 'published invalid C668668(E): E is not a check character',
    input: 'C668668(E)',
    message: /^HKID check character must be a digit or A, not E: expected 9$/,
  },
  { name: 'A123456(4): wrong check digit', input: 'A123456(4)', message: /^HKID check digit is wrong: expected 3$/ },
  { name: 'G123456(0): A expected', input: 'G123456(0)', message: /^HKID check digit is wrong: expected A$/ },
  { name: 'AB987654(A): 3 expected', input: 'AB987654(A)', message: /^HKID check digit is wrong: expected 3$/ },
  { name: 'K123456(A): 0 expected', input: 'K123456(A)', message: /^HKID check digit is wrong: expected 0$/ },
]);

// Normalisation.
runCases([
  { name: 'no brackets', input: 'A1234563', normalized: 'A1234563' },
  { name: 'lower-case letters', input: 'a123456(3)', normalized: 'A1234563' },
  { name: 'lower-case check a', input: 'g123456(a)', normalized: 'G123456A' },
  { name: 'surrounding whitespace', input: '  A123456(3)\t\n', normalized: 'A1234563' },
  { name: 'inner spaces', input: 'A 123 456 (3)', normalized: 'A1234563' },
  { name: 'hyphen before check', input: 'A123456-3', normalized: 'A1234563' },
  { name: 'square brackets', input: 'A123456[3]', normalized: 'A1234563' },
  { name: 'full-width brackets （）', input: 'A123456（3）', normalized: 'A1234563' },
  { name: 'full-width letters and digits', input: 'Ａ１２３４５６（３）', normalized: 'A1234563' },
  { name: 'ideographic space', input: 'AB\u3000987654(3)', normalized: 'AB9876543' },
  { name: 'two-letter lower-case with brackets and spaces', input: ' ab 987654 ( 3 ) ', normalized: 'AB9876543' },
]);

// Format boundaries.
const formatError = /^HKID number must be 1 or 2 letters, 6 digits and a check character \(0-9 or A\)/;
runCases([
  { name: 'empty', input: '', message: /^HKID number is empty$/ },
  { name: 'whitespace only', input: '   ', message: /^HKID number is empty$/ },
  { name: 'brackets only', input: '()', message: /^HKID number is empty$/ },
  { name: 'no letter prefix', input: '1234563', message: formatError },
  { name: 'no letter prefix, 7 digits + check', input: '01234563', message: formatError },
  { name: 'three-letter prefix', input: 'ABC123456(3)', message: formatError },
  { name: 'one letter + 5 digits', input: 'A12345(3)', message: formatError },
  { name: 'one letter + 7 digits', input: 'A1234567(3)', message: formatError },
  { name: 'two letters + 5 digits', input: 'AB98765(3)', message: formatError },
  { name: 'two letters + 7 digits', input: 'AB9876543(3)', message: formatError },
  { name: 'missing check character', input: 'A123456', message: formatError },
  { name: 'missing check character, two letters', input: 'AB987654', message: formatError },
  { name: 'two check characters', input: 'A123456(33)', message: formatError },
  { name: 'letter inside the digits', input: 'A12E456(3)', message: formatError },
  { name: 'digit inside the prefix', input: 'A1B23456(3)', message: formatError },
  { name: 'non-ASCII letter prefix', input: 'É123456(3)', message: formatError },
  { name: 'dotted separator is not removed', input: 'A123456.3', message: formatError },
  { name: 'letter check other than A (B)', input: 'A123456(B)', message: /not B: expected 3$/ },
  { name: 'letter check X', input: 'A123456(X)', message: /not X: expected 3$/ },
]);

// Every possible check character for bodies whose check covers every value, for
// both one-letter (space-prefixed) and two-letter forms. Table computed independently.
const oneLetter: [string, string][] = [
  ['M087109', '0'], ['M063352', '1'], ['M007919', '2'], ['M031676', '3'], ['M047514', '4'], ['M071271', '5'],
  ['M000000', '6'], ['M039595', '7'], ['M055433', '8'], ['M079190', '9'], ['M023757', 'A'],
];
const twoLetter: [string, string][] = [
  ['XY031676', '0'], ['XY047514', '1'], ['XY071271', '2'], ['XY000000', '3'], ['XY039595', '4'], ['XY055433', '5'],
  ['XY079190', '6'], ['XY023757', '7'], ['XY087109', '8'], ['XY063352', '9'], ['XY007919', 'A'],
];
const CHECK_CHARS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A'];
for (const [body, check] of [...oneLetter, ...twoLetter]) {
  t.test(`every check character for ${body} (only ${check} is right)`, async (t) => {
    t.equal(computeHkidCheckCharacter(body), check, 'computeHkidCheckCharacter');
    for (const candidate of CHECK_CHARS) {
      const r = validateHkid(`${body}(${candidate})`);
      if (candidate === check) {
        t.same(r, { ok: true, normalized: body + check }, `${body}(${candidate}) valid`);
      } else {
        t.same(r, { ok: false, message: `HKID check digit is wrong: expected ${check}` }, `${body}(${candidate}) invalid`);
      }
    }
  });
}

t.test('the one-letter form is weighted as if prefixed by a space (36), not as the letter alone', async (t) => {
  // Without the space the sum for A123456 would be 10*8+77 = 157 → 157 mod 11 = 3 → check 8.
  t.equal(computeHkidCheckCharacter('A123456'), '3');
  t.equal(validateHkid('A123456(8)').ok, false);
});

t.test('computeHkidCheckCharacter rejects malformed bodies', async (t) => {
  for (const body of ['', 'A12345', 'ABC123456', '1234567', 'a123456', 'A123456(3)', 'A1234567']) {
    t.throws(() => computeHkidCheckCharacter(body), RangeError, JSON.stringify(body));
  }
});
