import t from 'tap';
import { validateHsCode } from '../../../src/domain/documents/hs-code.js';

type Case = { name: string; input: string } & ({ normalized: string } | { message: RegExp });

const cases: Case[] = [
  { name: 'subheading with a dot 8471.30', input: '8471.30', normalized: '847130' },
  { name: 'six digits (lower boundary)', input: '847130', normalized: '847130' },
  { name: 'seven digits', input: '8471300', normalized: '8471300' },
  { name: 'eight-digit tariff line 8471.30.00', input: '8471.30.00', normalized: '84713000' },
  { name: 'nine digits', input: '847130001', normalized: '847130001' },
  { name: 'ten-digit statistical code (upper boundary)', input: '8471.30.00.10', normalized: '8471300010' },
  { name: 'spaces instead of dots', input: '8471 30 00', normalized: '84713000' },
  { name: 'mixed dots and spaces', input: ' 8471. 30 .00 ', normalized: '84713000' },
  { name: 'leading zero is kept (chapter 01, live horses)', input: '0101.21', normalized: '010121' },
  { name: 'full-width digits and dot', input: '８４７１．３０', normalized: '847130' },
  { name: 'heading only (4 digits) is too short', input: '8471', message: /^HS code is too short: at least 6 digits \(chapter, heading and subheading\), got 4$/ },
  { name: 'five digits', input: '84713', message: /too short: .* got 5$/ },
  { name: 'five digits with a dot', input: '8471.3', message: /too short: .* got 5$/ },
  { name: 'eleven digits', input: '84713000101', message: /^HS code is too long: at most 10 digits, got 11$/ },
  { name: 'empty', input: '', message: /^HS code is empty$/ },
  { name: 'dots only', input: '..', message: /^HS code is empty$/ },
  { name: 'hyphen', input: '8471-30', message: /^HS code may only contain digits, dots and spaces$/ },
  { name: 'letter', input: '8471.3A', message: /only contain digits/ },
  { name: 'comma', input: '8471,30', message: /only contain digits/ },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = validateHsCode(c.input);
    if ('normalized' in c) {
      t.same(r, { ok: true, normalized: c.normalized });
    } else {
      t.equal(r.ok, false, 'rejected');
      if (!r.ok) t.match(r.message, c.message);
    }
  });
}

t.test('every length from 1 to 12 digits', async (t) => {
  for (let n = 1; n <= 12; n++) {
    t.equal(validateHsCode('847130001012'.slice(0, n)).ok, n >= 6 && n <= 10, `${n} digits`);
  }
});
