// uuidv7: the ids every row gets. Random bits come from a pooled CSPRNG buffer, so the
// tests check what a pool could break: uniqueness across refills, the version and
// variant bits, and creation order.
import t from 'tap';
import { UUID_RE, uuidv7 } from '../../src/lib/ids.js';

t.test('20,000 ids (many pool refills) are distinct, well-formed version 7 UUIDs', async (t) => {
  const ids = Array.from({ length: 20_000 }, () => uuidv7());
  t.equal(new Set(ids).size, ids.length, 'no repeats');
  t.ok(ids.every((id) => UUID_RE.test(id)), 'UUID text form');
  t.ok(ids.every((id) => id[14] === '7'), 'version 7');
  t.ok(ids.every((id) => '89ab'.includes(id[19]!)), 'RFC 9562 variant');
  const random = new Set(ids.map((id) => id.slice(24)));
  t.equal(random.size, ids.length, 'the last 48 random bits differ too');
});

t.test('ids sort in creation order, within one millisecond and across', async (t) => {
  const sameMs = Array.from({ length: 500 }, () => uuidv7(1_795_000_000_000));
  t.same([...sameMs].sort(), sameMs, 'monotonic within a millisecond');
  const later = uuidv7(1_795_000_000_001);
  t.ok(later > sameMs[sameMs.length - 1]!, 'a later millisecond sorts after');
  t.equal(later.slice(0, 13).replace('-', ''), (1_795_000_000_001).toString(16).padStart(12, '0'), 'the first 48 bits are the time');
});
