// Concurrent crossings of the same item: exactly one moves it, the others see where
// it now is. Needs a real Postgres server (PGlite has a single connection, so
// nothing runs in parallel there).
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp } from '../support/app.js';
import { testDatabaseSource } from '../support/database.js';
import { insertItem, insertTraveller } from '../support/travellers.js';
import {
  type CrossingAnswer,
  countRows,
  freshKey,
  itemState,
  movementsOfItem,
  passportRef,
  postCrossing,
} from '../support/desk.js';

// Decided before any database is built: on PGlite the file skips at once, saying why.
if ((await testDatabaseSource()) === 'pglite') {
  t.plan(0, 'concurrency tests need a real Postgres server: PGlite serves one connection, so requests never overlap; set TEST_DATABASE_URL');
} else {
  const ctx = await buildTestApp(t);
  const officers = await Promise.all([ctx.caller('officer', { checkpoint: 'LMC' }), ctx.caller('officer', { checkpoint: 'LMC' })]);
  const auditor = await ctx.caller('auditor');
  const supervisor = await ctx.caller('supervisor');

  t.test('10 parallel crossings of one laptop: exactly one CLEARED move, nine ITEM_LOCATION_MISMATCH', async (t) => {
    const trav = await insertTraveller(ctx.db);
    const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment', homeSide: 'HK' });
    const rounds: ['HK_TO_SZ' | 'SZ_TO_HK', 'HK' | 'SZ'][] = [
      ['HK_TO_SZ', 'SZ'],
      ['SZ_TO_HK', 'HK'],
      ['HK_TO_SZ', 'SZ'],
    ];
    const winners: string[] = [];
    for (const [direction, to] of rounds) {
      const before = await itemState(ctx.db, laptop.id);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          postCrossing(ctx, officers[i % 2]!.token, {
            checkpoint: 'LMC',
            direction,
            traveller: passportRef(trav.passport),
            items: [{ itemId: laptop.id }],
          }),
        ),
      );
      t.same(answers.map((a) => a.statusCode), Array(10).fill(201), answers.map((a) => a.body).join('\n'));
      const crossings = answers.map((a) => a.json<CrossingAnswer>());
      const cleared = crossings.filter((c) => c.decision === 'CLEARED');
      const flagged = crossings.filter((c) => c.decision === 'FLAGGED');
      t.equal(cleared.length, 1, `${direction}: exactly one CLEARED`);
      t.equal(flagged.length, 9);
      for (const f of flagged) t.same(f.reasons.map((r) => [r.code, r.itemId]), [['ITEM_LOCATION_MISMATCH', laptop.id]]);
      winners.push(cleared[0]!.id);
      const after = await itemState(ctx.db, laptop.id);
      t.equal(after.currentSide, to);
      t.equal(after.version, before.version + 1, 'updated once');
    }

    const moves = await movementsOfItem(ctx.db, laptop.id);
    t.same(moves.map((m) => m.crossing_id), winners, 'one movement per round, by the CLEARED crossing');
    const hist = await ctx.request({ method: 'GET', url: `/v1/items/${laptop.id}/history`, token: supervisor.token });
    t.same(
      hist.json().entries.filter((e: { kind: string }) => e.kind === 'moved').map((e: { crossingId: string }) => e.crossingId),
      winners,
    );
    t.equal(await countRows(ctx.db, sql`select count(*) as n from crossing_items where item_id = ${laptop.id}::uuid`), 30);
    // An audit read seals the journal first: the auditor sees every crossing answered before it.
    const verify = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: auditor.token });
    t.equal(verify.statusCode, 200, verify.body);
    t.match(verify.json(), { ok: true, firstBadSeq: null });
    t.equal(
      await countRows(ctx.db, sql`select count(*) as n from audit_events where action = 'crossing.decide' and data->'itemIds' ? ${laptop.id}`),
      30,
      'every crossing has its audit event in the chain',
    );
  });

  t.test('10 parallel draws on one reagent never take more than remains', async (t) => {
    const trav = await insertTraveller(ctx.db);
    const reagent = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'reagent', quantity: 100 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        postCrossing(ctx, officers[i % 2]!.token, {
          checkpoint: 'LMC',
          direction: 'HK_TO_SZ',
          traveller: passportRef(trav.passport),
          items: [{ itemId: reagent.id, quantity: 15 }],
        }),
      ),
    );
    const crossings = answers.map((a) => a.json<CrossingAnswer>());
    t.equal(crossings.filter((c) => c.decision === 'CLEARED').length, 6, '6 × 15 = 90 of 100');
    const flagged = crossings.filter((c) => c.decision === 'FLAGGED');
    t.equal(flagged.length, 4);
    for (const f of flagged) t.same(f.reasons.map((r) => r.code), ['QUANTITY_EXCEEDED']);
    t.equal((await itemState(ctx.db, reagent.id)).remainingQuantity, 10);
    const moves = await movementsOfItem(ctx.db, reagent.id);
    t.equal(moves.length, 6);
    t.same(moves.map((m) => Number(m.remaining_after)).sort((a, b) => b - a), [85, 70, 55, 40, 25, 10]);
  });

  t.test('the same Idempotency-Key sent 5 times at once: one crossing, four replays', async (t) => {
    const trav = await insertTraveller(ctx.db);
    const laptop = await insertItem(ctx.db, trav.institutionId, [trav.researcher.id], { category: 'equipment' });
    const key = freshKey();
    const body = { checkpoint: 'LMC', direction: 'HK_TO_SZ' as const, traveller: passportRef(trav.passport), items: [{ itemId: laptop.id }] };
    const answers = await Promise.all(Array.from({ length: 5 }, () => postCrossing(ctx, officers[0]!.token, body, key)));
    t.same(answers.map((a) => a.statusCode), [201, 201, 201, 201, 201]);
    t.equal(new Set(answers.map((a) => a.json().id)).size, 1, 'one crossing id');
    t.equal(answers.filter((a) => a.headers['idempotent-replayed'] === 'true').length, 4);
    t.ok(answers.every((a) => a.json().decision === 'CLEARED'));
    t.equal((await movementsOfItem(ctx.db, laptop.id)).length, 1);
    t.equal(await countRows(ctx.db, sql`select count(*) as n from crossing_items where item_id = ${laptop.id}::uuid`), 1);
  });
}
