import t from 'tap';
import { computeCasCheckDigit, validateCasNumber } from '../../../src/domain/documents/cas.js';

type Case = { name: string; input: string } & ({ normalized: string } | { message: RegExp });

const cases: Case[] = [
  { name: 'published: water 7732-18-5', input: '7732-18-5', normalized: '7732-18-5' },
  { name: 'published: ethanol 64-17-5', input: '64-17-5', normalized: '64-17-5' },
  { name: 'published: CAS worked example 2-chloroethanol 107-07-3', input: '107-07-3', normalized: '107-07-3' },
  { name: 'published: benzene 71-43-2', input: '71-43-2', normalized: '71-43-2' },
  { name: 'published: formaldehyde 50-00-0 (check 0)', input: '50-00-0', normalized: '50-00-0' },
  { name: 'published: acetone 67-64-1', input: '67-64-1', normalized: '67-64-1' },
  { name: 'published: caffeine 58-08-2', input: '58-08-2', normalized: '58-08-2' },
  { name: 'published: aspirin 50-78-2', input: '50-78-2', normalized: '50-78-2' },
  { name: 'published: carbon dioxide 124-38-9', input: '124-38-9', normalized: '124-38-9' },
  { name: 'published: sodium chloride 7647-14-5', input: '7647-14-5', normalized: '7647-14-5' },
  { name: 'published: hydrogen 1333-74-0', input: '1333-74-0', normalized: '1333-74-0' },
  { name: 'published: boric acid 10043-35-3', input: '10043-35-3', normalized: '10043-35-3' },
  { name: 'seven-digit first group (upper boundary)', input: '1234567-89-5', normalized: '1234567-89-5' },
  { name: 'largest possible number', input: '9999999-99-5', normalized: '9999999-99-5' },
  { name: 'two-digit first group (lower boundary)', input: '10-07-1', normalized: '10-07-1' },
  { name: 'surrounding spaces trimmed', input: '  7732-18-5 \t', normalized: '7732-18-5' },
  { name: 'full-width digits and hyphens', input: '７７３２－１８－５', normalized: '7732-18-5' },
  { name: 'zero-padded first group is canonicalised', input: '0007732-18-5', normalized: '7732-18-5' },
  { name: 'zero-padded two-digit number', input: '0000064-17-5', normalized: '64-17-5' },
  { name: 'published invalid: 7732-18-4', input: '7732-18-4', message: /^CAS check digit is wrong: expected 5$/ },
  { name: 'ethanol with wrong check', input: '64-17-6', message: /^CAS check digit is wrong: expected 5$/ },
  { name: 'transposed digits are caught', input: '7723-18-5', message: /check digit is wrong/ },
  { name: 'empty', input: '', message: /^CAS number is empty$/ },
  { name: 'spaces only', input: '   ', message: /^CAS number is empty$/ },
  { name: 'without hyphens', input: '7732185', message: /^CAS number must be written with hyphens, e\.g\. 7732-18-5$/ },
  { name: 'one-digit first group', input: '1-11-1', message: /must be 2 to 7 digits, a hyphen, 2 digits, a hyphen and a check digit/ },
  { name: 'eight-digit first group', input: '12345678-90-1', message: /must be 2 to 7 digits/ },
  { name: 'one-digit second group', input: '7732-1-5', message: /must be 2 to 7 digits/ },
  { name: 'three-digit second group', input: '7732-185-5', message: /must be 2 to 7 digits/ },
  { name: 'two-digit check', input: '7732-18-55', message: /must be 2 to 7 digits/ },
  { name: 'missing check', input: '7732-18', message: /must be 2 to 7 digits/ },
  { name: 'spaces around the hyphens', input: '7732 - 18 - 5', message: /must be 2 to 7 digits/ },
  { name: 'inner space instead of a hyphen', input: '7732 18 5', message: /must be 2 to 7 digits/ },
  { name: 'en dashes', input: '7732\u201318\u20135', message: /must be 2 to 7 digits/ },
  { name: 'letters', input: '77A2-18-5', message: /must be 2 to 7 digits/ },
  { name: 'trailing hyphen', input: '7732-18-5-', message: /must be 2 to 7 digits/ },
  { name: 'padded to fewer than two significant digits', input: '05-00-5', message: /at least 2 significant digits/ },
  { name: 'all-zero first group', input: '00-00-0', message: /at least 2 significant digits/ },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = validateCasNumber(c.input);
    if ('normalized' in c) {
      t.same(r, { ok: true, normalized: c.normalized });
    } else {
      t.equal(r.ok, false, 'rejected');
      if (!r.ok) t.match(r.message, c.message);
    }
  });
}

t.test('every check digit for water: only 5 is right', async (t) => {
  for (let d = 0; d <= 9; d++) {
    const r = validateCasNumber(`7732-18-${d}`);
    if (d === 5) t.same(r, { ok: true, normalized: '7732-18-5' }, `${d} valid`);
    else t.same(r, { ok: false, message: 'CAS check digit is wrong: expected 5' }, `${d} invalid`);
  }
});

t.test('computeCasCheckDigit', async (t) => {
  const cases: [string, number][] = [
    ['773218', 5], // 8·1 + 1·2 + 2·3 + 3·4 + 7·5 + 7·6 = 105
    ['6417', 5],
    ['10707', 3],
    ['5000', 0],
    ['123456789', 5],
    ['00773218', 5],
  ];
  for (const [digits, check] of cases) t.equal(computeCasCheckDigit(digits), check, digits);
  for (const bad of ['', '7732-18', 'abc']) t.throws(() => computeCasCheckDigit(bad), RangeError, JSON.stringify(bad));
});
