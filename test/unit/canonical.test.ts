import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { canonicalize } from '../../src/audit/canonical.js';

/**
 * src/audit/canonical.ts against RFC 8785 (JSON Canonicalization Scheme): the
 * examples of the RFC itself, its Appendix B number table, and properties.
 */

/** A double from its IEEE 754 bit pattern, as Appendix B lists them. */
function fromBits(hex: string): number {
  const buf = Buffer.from(hex, 'hex');
  return buf.readDoubleBE(0);
}

t.test('RFC 8785 §3.2.2 example: literals, numbers and string escapes', async (t) => {
  const input = JSON.parse(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
      ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
      ' "literals": [null, true, false]}',
  ) as unknown;
  t.equal(
    canonicalize(input),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
});

t.test('RFC 8785 §3.2.3 example: object members sorted by UTF-16 code units', async (t) => {
  const input = {
    '\u20ac': 'Euro Sign',
    '\r': 'Carriage Return',
    '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One',
    '\ud83d\ude00': 'Emoji: Grinning Face',
    '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
  };
  t.equal(
    canonicalize(input),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
  // The emoji (U+1F600, surrogates D83D DE00) sorts before U+FB33: by code units, not code points.
  const keys = Object.keys(JSON.parse(canonicalize(input)) as object);
  t.ok(keys.indexOf('\ud83d\ude00') < keys.indexOf('\ufb33'), 'UTF-16 order, not code point order');
});

t.test('nested objects are sorted at every level and arrays keep their order', async (t) => {
  t.equal(canonicalize({ b: [3, 1, { z: 1, a: 2 }], a: { d: null, c: 'x' } }), '{"a":{"c":"x","d":null},"b":[3,1,{"a":2,"z":1}]}');
  t.equal(canonicalize({ aa: 1, a: 2, B: 3, '': 4 }), '{"":4,"B":3,"a":2,"aa":1}', 'shorter prefix first; upper case before lower');
  t.equal(canonicalize([]), '[]');
  t.equal(canonicalize({}), '{}');
});

t.test('RFC 8785 Appendix B: number serialisation', async (t) => {
  const table: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'], // -0
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  for (const [bits, expected] of table) t.equal(canonicalize(fromBits(bits)), expected, `0x${bits} → ${expected}`);
});

t.test('number forms: 1e21, 1e-7, -0, integers and fractions', async (t) => {
  t.equal(canonicalize(1e21), '1e+21');
  t.equal(canonicalize(1e20), '100000000000000000000');
  t.equal(canonicalize(1e-7), '1e-7');
  t.equal(canonicalize(0.000001), '0.000001');
  t.equal(canonicalize(-0), '0');
  t.equal(canonicalize({ n: -0 }), '{"n":0}');
  t.equal(canonicalize(4.5), '4.5');
  t.equal(canonicalize(-1), '-1');
  t.equal(canonicalize(1.0), '1');
});

t.test('NaN, Infinity and bigint are refused; undefined members are left out', async (t) => {
  t.throws(() => canonicalize(NaN), TypeError);
  t.throws(() => canonicalize(Infinity), TypeError);
  t.throws(() => canonicalize(-Infinity), TypeError);
  t.throws(() => canonicalize({ a: NaN }), TypeError);
  t.throws(() => canonicalize(10n), TypeError);
  t.equal(canonicalize({ a: undefined, b: 1 }), '{"b":1}');
  t.equal(canonicalize([undefined]), '[null]', 'as JSON.stringify does in arrays');
});

t.test('string escapes: control characters in lower-case \\u form, the short escapes, nothing else escaped', async (t) => {
  t.equal(canonicalize('\u0000\u0001\u001f'), '"\\u0000\\u0001\\u001f"');
  t.equal(canonicalize('\b\f\n\r\t'), '"\\b\\f\\n\\r\\t"');
  t.equal(canonicalize('"\\'), '"\\"\\\\"');
  t.equal(canonicalize('/'), '"/"', 'the solidus is not escaped');
  t.equal(canonicalize('\u007f'), '"\u007f"', 'DEL is not escaped');
  t.equal(canonicalize('河套 €😀'), '"河套 €😀"', 'non-ASCII stays as UTF-8 characters');
});

t.test('dates serialise through toJSON, as the audit chain hashes them', async (t) => {
  t.equal(canonicalize({ at: new Date('2026-01-02T03:04:05.678Z') }), '{"at":"2026-01-02T03:04:05.678Z"}');
});

t.test('property: the output is JSON that parses back to the same value, and is a fixed point', async (t) => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const c = canonicalize(value);
      // JSON has no -0: compare with the value after a JSON round trip, which maps -0 to 0 too.
      return isDeepStrictEqual(JSON.parse(c), JSON.parse(JSON.stringify(value)));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const c = canonicalize(value);
      return canonicalize(JSON.parse(c)) === c;
    }),
    { numRuns: 500 },
  );
  t.pass('500 generated JSON values each');
});

t.test('property: member order in the input does not change the output', async (t) => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 }), (obj) => {
      const reversed = Object.fromEntries(Object.entries(obj).reverse());
      return canonicalize(obj) === canonicalize(reversed);
    }),
    { numRuns: 300 },
  );
  t.pass('300 generated objects');
});
