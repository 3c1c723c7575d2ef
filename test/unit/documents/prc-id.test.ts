import t from 'tap';
import { computePrcIdCheckCharacter, prcIdBirthDate, validatePrcId } from '../../../src/domain/documents/prc-id.js';

/** Fixed clock: 2026-05-01 08:00 at the border (00:00 UTC). */
const NOW = new Date('2026-05-01T00:00:00Z');

type Case = { name: string; input: string; now?: Date } & ({ normalized: string } | { message: RegExp });

function runCases(cases: Case[]) {
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const r = validatePrcId(c.input, c.now ?? NOW);
      if ('normalized' in c) {
        t.same(r, { ok: true, normalized: c.normalized });
      } else {
        t.equal(r.ok, false, 'rejected');
        if (!r.ok) t.match(r.message, c.message);
      }
    });
  }
}

// All check characters below were computed with an independent implementation.
runCases([
  { name: 'published test value 11010519491231002X', input: '11010519491231002X', normalized: '11010519491231002X' },
  {
    name: 'published test value with lower-case x is normalised to X',
    input: '11010519491231002x',
    normalized: '11010519491231002X',
  },
  {
    name: 'published test value with spaces and hyphens',
    input: ' 110105-19491231-002x ',
    normalized: '11010519491231002X',
  },
  { name: 'full-width digits', input: '１１０１０５１９４９１２３１００２Ｘ', normalized: '11010519491231002X' },
  {
    name: 'GB 11643 example 440524188001010014: correct check but born 1880, before 1900',
    input: '440524188001010014',
    message: /^PRC ID birth date 1880-01-01 is before 1900$/,
  },
  { name: 'Hong Kong resident (81xxxx) number', input: '810000198506154566', normalized: '810000198506154566' },
]);

// Each wrong check character on the published value.
for (const wrong of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
  runCases([
    {
      name: `published test value with wrong check character ${wrong}`,
      input: `11010519491231002${wrong}`,
      message: /^PRC ID check character is wrong: expected X$/,
    },
  ]);
}

// Bodies whose check characters cover every value of "10X98765432".
const everyCheck: [string, string][] = [
  ['44030419880808004', '0'], ['44030419880808009', '1'], ['44030419880808003', '2'],
  ['44030419880808008', '3'], ['44030419880808002', '4'], ['44030419880808007', '5'],
  ['44030419880808001', '6'], ['44030419880808006', '7'], ['44030419880808000', '8'],
  ['44030419880808005', '9'], ['44030419880808018', 'X'],
];
for (const [body, check] of everyCheck) {
  t.test(`every check character for ${body} (only ${check} is right)`, async (t) => {
    t.equal(computePrcIdCheckCharacter(body), check, 'computePrcIdCheckCharacter');
    for (const candidate of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']) {
      const r = validatePrcId(body + candidate, NOW);
      if (candidate === check) t.same(r, { ok: true, normalized: body + check }, `${candidate} valid`);
      else t.same(r, { ok: false, message: `PRC ID check character is wrong: expected ${check}` }, `${candidate} wrong`);
    }
  });
}

// Birth dates (all with their correct check character, so only the date is at fault).
runCases([
  { name: 'leap day 2000-02-29 (divisible by 400)', input: '440304200002291236', normalized: '440304200002291236' },
  { name: 'leap day 2024-02-29', input: '440304202402291234', normalized: '440304202402291234' },
  {
    name: 'no leap day in 1900 (divisible by 100)',
    input: '44030419000229123X',
    message: /^PRC ID birth date 19000229 is not a real calendar date$/,
  },
  {
    name: 'no leap day in 2023',
    input: '440304202302291237',
    message: /^PRC ID birth date 20230229 is not a real calendar date$/,
  },
  { name: '31 February', input: '440304199002311238', message: /birth date 19900231 is not a real calendar date/ },
  { name: '31 April', input: '440304199004311231', message: /birth date 19900431 is not a real calendar date/ },
  { name: '30 April is fine', input: '440304199004301236', normalized: '440304199004301236' },
  { name: 'month 13', input: '440304199013011230', message: /birth date 19901301 is not a real calendar date/ },
  { name: 'month 00', input: '440304199000011231', message: /birth date 19900001 is not a real calendar date/ },
  { name: 'day 00', input: '440304199001001238', message: /birth date 19900100 is not a real calendar date/ },
  { name: 'day 32', input: '440304199001321231', message: /birth date 19900132 is not a real calendar date/ },
  { name: 'earliest date 1900-01-01 accepted', input: '440304190001011232', normalized: '440304190001011232' },
  { name: '1899-12-31 is before 1900', input: '440304189912311238', message: /^PRC ID birth date 1899-12-31 is before 1900$/ },
  { name: 'born today (2026-05-01) accepted', input: '440304202605011239', normalized: '440304202605011239' },
  { name: 'born tomorrow is in the future', input: '440304202605021234', message: /^PRC ID birth date 2026-05-02 is in the future$/ },
  { name: 'later this year is in the future', input: '44030420261231123X', message: /2026-12-31 is in the future/ },
  {
    name: '"today" is the border date (UTC+8): 2026-05-02 is today at 2026-05-01T16:30Z',
    input: '440304202605021234',
    now: new Date('2026-05-01T16:30:00Z'),
    normalized: '440304202605021234',
  },
  {
    name: 'but still the future at 2026-05-01T15:59Z (23:59 at the border)',
    input: '440304202605021234',
    now: new Date('2026-05-01T15:59:00Z'),
    message: /in the future/,
  },
]);

// Format boundaries.
const bodyError = /^PRC ID number must be 17 digits followed by a digit or X$/;
runCases([
  { name: 'empty', input: '', message: /^PRC ID number is empty$/ },
  { name: 'whitespace only', input: ' \t ', message: /^PRC ID number is empty$/ },
  {
    name: 'old 15-digit form is rejected with a clear message',
    input: '110105491231002',
    message: /^PRC ID number is in the old 15-digit form; only the 18-character form is accepted$/,
  },
  { name: '17 characters', input: '11010519491231002', message: /^PRC ID number must be 18 characters, got 17$/ },
  { name: '19 characters', input: '11010519491231002X0', message: /^PRC ID number must be 18 characters, got 19$/ },
  { name: '16 digits', input: '1101051949123100', message: /must be 18 characters, got 16/ },
  { name: '15 characters with an X is not the old form', input: '11010549123100X', message: /must be 18 characters, got 15/ },
  { name: 'letter in the body', input: '1101051949123A002X', message: bodyError },
  { name: 'X in the body', input: '11010519491231X02X', message: bodyError },
  { name: 'check character Y', input: '11010519491231002Y', message: bodyError },
  { name: 'non-ASCII digit (Arabic-Indic)', input: '11010519491231002\u0661', message: bodyError },
]);

t.test('check character is verified only after the format and date', async (t) => {
  // 31 Feb with a wrong check character reports the date, the more useful message.
  t.match(validatePrcId('440304199002311230', NOW), { ok: false, message: /not a real calendar date/ });
});

t.test('default clock is the real current time', async (t) => {
  t.same(validatePrcId('11010519491231002X'), { ok: true, normalized: '11010519491231002X' });
  t.match(validatePrcId('44030420991231123X'), { ok: false, message: /in the future|check character/ });
});

t.test('an invalid clock is a programming error', async (t) => {
  t.throws(() => validatePrcId('11010519491231002X', new Date('nope')), RangeError);
});

t.test('prcIdBirthDate', async (t) => {
  const cases: [string, string][] = [
    ['11010519491231002X', '1949-12-31'],
    ['440304200002291236', '2000-02-29'],
    ['440304190001011232', '1900-01-01'],
    ['440524188001010014', '1880-01-01'],
  ];
  for (const [id, date] of cases) t.equal(prcIdBirthDate(id), date, id);
  for (const bad of ['', '110105491231002', '11010519491231002x', '1101051949123100', '440304199002311238', 'A1010519491231002X']) {
    t.throws(() => prcIdBirthDate(bad), RangeError, `throws for ${JSON.stringify(bad)}`);
  }
});

t.test('computePrcIdCheckCharacter rejects malformed bodies', async (t) => {
  for (const body of ['', '1101051949123100', '110105194912310021', '1101051949123100X']) {
    t.throws(() => computePrcIdCheckCharacter(body), RangeError, JSON.stringify(body));
  }
});
