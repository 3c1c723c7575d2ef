import t from 'tap';
import { normalizeDocumentInput } from '../../../src/domain/documents/index.js';
import { asciiUpperCase, describeChar, toHalfWidth } from '../../../src/domain/documents/normalize.js';

const cases: { name: string; input: string; output: string }[] = [
  { name: 'trims', input: '  abc  ', output: 'ABC' },
  { name: 'upper-cases ASCII', input: 'abcxyz', output: 'ABCXYZ' },
  { name: 'removes inner spaces, tabs and newlines', input: 'a b\tc\nd', output: 'ABCD' },
  { name: 'removes hyphens', input: 'a-b-c', output: 'ABC' },
  { name: 'removes Unicode hyphens and dashes', input: 'a\u2010b\u2011c\u2013d\u2014e\u2212f', output: 'ABCDEF' },
  { name: 'removes round brackets', input: 'A123456(3)', output: 'A1234563' },
  { name: 'removes square brackets', input: 'A123456[3]', output: 'A1234563' },
  { name: 'removes full-width round brackets', input: 'A123456（3）', output: 'A1234563' },
  { name: 'removes full-width square brackets', input: 'A123456［3］', output: 'A1234563' },
  { name: 'folds full-width letters and digits', input: 'ａｂＣ１２３', output: 'ABC123' },
  { name: 'ideographic space is a space', input: 'A\u3000B', output: 'AB' },
  { name: 'keeps the MRZ filler for the validators to reject', input: 'L898<<', output: 'L898<<' },
  { name: 'keeps dots', input: 'A.B', output: 'A.B' },
  { name: 'does not turn ß into SS', input: 'ß', output: 'ß' },
  { name: 'does not turn dotless ı into I', input: 'ı', output: 'ı' },
  { name: 'leaves non-ASCII letters alone', input: 'é', output: 'é' },
  { name: 'empty stays empty', input: '', output: '' },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    t.equal(normalizeDocumentInput(c.input), c.output);
  });
}

t.test('helpers', async (t) => {
  t.equal(toHalfWidth('！～０９ＡＺ'), '!~09AZ');
  t.equal(toHalfWidth('\u3000'), ' ');
  t.equal(toHalfWidth('中文'), '中文');
  t.equal(asciiUpperCase('aZ9é'), 'AZ9é');
  t.equal(describeChar('<'), "'<'");
  t.equal(describeChar(' '), "U+0020 ' '");
  t.equal(describeChar('é'), "U+00E9 'é'");
});
