import t from 'tap';
import { validatePassportNumber } from '../../../src/domain/documents/passport.js';

type Case = { name: string; input: string } & ({ normalized: string } | { message: RegExp });

const cases: Case[] = [
  { name: 'ICAO specimen passport number L898902C3', input: 'L898902C3', normalized: 'L898902C3' },
  { name: 'PRC e-passport style E12345678', input: 'E12345678', normalized: 'E12345678' },
  { name: 'HKSAR passport style K01234567', input: 'K01234567', normalized: 'K01234567' },
  { name: 'single character (lower boundary)', input: 'A', normalized: 'A' },
  { name: 'single digit', input: '7', normalized: '7' },
  { name: 'nine characters (upper boundary)', input: 'ABCDE1234', normalized: 'ABCDE1234' },
  { name: 'all digits', input: '123456789', normalized: '123456789' },
  { name: 'lower-case is upper-cased', input: 'l898902c3', normalized: 'L898902C3' },
  { name: 'surrounding whitespace trimmed', input: '\t L898902C3 \n', normalized: 'L898902C3' },
  { name: 'inner spaces removed', input: 'L89 890 2C3', normalized: 'L898902C3' },
  { name: 'hyphens removed', input: 'L-898-902-C3', normalized: 'L898902C3' },
  { name: 'en dash removed', input: 'L898\u2013902C3', normalized: 'L898902C3' },
  { name: 'brackets removed', input: '(L898902C3)', normalized: 'L898902C3' },
  { name: 'square brackets removed', input: '[L898902C3]', normalized: 'L898902C3' },
  { name: 'full-width brackets removed', input: '（L898902C3）', normalized: 'L898902C3' },
  { name: 'full-width letters and digits', input: 'Ｌ８９８９０２Ｃ３', normalized: 'L898902C3' },
  { name: 'separators do not count towards the length', input: 'ABC-DEF-123', normalized: 'ABCDEF123' },
  { name: 'empty', input: '', message: /^Passport number is empty$/ },
  { name: 'whitespace only', input: '   ', message: /^Passport number is empty$/ },
  { name: 'separators only', input: ' - ( ) ', message: /^Passport number is empty$/ },
  {
    name: 'ten characters (one too many)',
    input: 'ABCDE12345',
    message: /^Passport number is too long: at most 9 characters, got 10$/,
  },
  { name: 'MRZ document number field with fillers', input: 'L898902<<', message: /contains '<' \(remove the MRZ filler characters\)$/ },
  { name: 'single filler', input: '<', message: /contains '<'/ },
  { name: 'dot', input: 'L898.902', message: /may only contain letters A-Z and digits 0-9, but contains '\.'$/ },
  { name: 'slash', input: 'L898/902', message: /contains '\/'/ },
  { name: 'underscore', input: 'L898_902', message: /contains '_'/ },
  { name: 'accented letter', input: 'É1234567', message: /contains U\+00C9 'É'/ },
  { name: 'German sharp s is not turned into SS', input: 'ß1234', message: /contains U\+00DF 'ß'/ },
  { name: 'Turkish dotless i is not turned into I', input: 'ı1234', message: /contains U\+0131/ },
  { name: 'Chinese characters', input: '护照123', message: /contains U\+62A4/ },
  { name: 'charset is checked before the length', input: 'ABCDEFGHIJ<', message: /contains '<'/ },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = validatePassportNumber(c.input);
    if ('normalized' in c) {
      t.same(r, { ok: true, normalized: c.normalized });
    } else {
      t.equal(r.ok, false, 'rejected');
      if (!r.ok) t.match(r.message, c.message);
    }
  });
}

t.test('every length from 1 to 9 is accepted and 10 to 12 rejected', async (t) => {
  for (let n = 1; n <= 12; n++) {
    const value = 'A1B2C3D4E5F6'.slice(0, n);
    t.equal(validatePassportNumber(value).ok, n <= 9, `length ${n}`);
  }
});

t.test('every ASCII letter and digit is allowed', async (t) => {
  for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') {
    t.same(validatePassportNumber(`X${ch}`), { ok: true, normalized: `X${ch.toUpperCase()}` }, ch);
  }
});
