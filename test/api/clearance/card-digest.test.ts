// The desk card shows a data item's registered digest, so an officer with the
// traveller's USB stick can compare it (the digest is not secret).
import t from 'tap';
import { buildTestApp } from '../../support/app.js';
import { insertItem, insertTraveller } from '../../support/travellers.js';
import { passportRef, postLookup } from '../../support/desk.js';

const ctx = await buildTestApp(t);
const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
const trav = await insertTraveller(ctx.db, {});
const digest = 'ab'.repeat(32);
const dataset = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'data', sha256: digest, sizeBytes: 123_456_789 });
const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment' });

t.test("the lookup's card carries each data item's registered sha256; null for other items", async (t) => {
  const res = await postLookup(ctx, officer.token, passportRef(trav.passport));
  t.equal(res.statusCode, 200, res.body);
  const items = res.json<{ items: { id: string; category: string; sha256: string | null; sizeBytes: number | null }[] }>().items;
  t.equal(items.find((i) => i.id === dataset.id)?.sha256, digest);
  t.equal(items.find((i) => i.id === dataset.id)?.sizeBytes, 123_456_789, 'and its registered size');
  t.equal(items.find((i) => i.id === laptop.id)?.sha256, null);
  t.equal(items.find((i) => i.id === laptop.id)?.sizeBytes, null);
});

t.test('the OpenAPI card item lists sha256', async (t) => {
  const doc = (await ctx.request({ method: 'GET', url: '/docs/json' })).json();
  const card = doc.components.schemas.TravellerCard;
  t.ok(card.properties.items.items.properties.sha256, 'TravellerCard.items[].sha256');
});
