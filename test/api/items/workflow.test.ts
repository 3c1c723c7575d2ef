import t from 'tap';
import type { Caller } from '../../support/app.js';
import { buildWorld, createItem, equipmentBody, errorPaths, problem, reagentBody, sampleBody, seedItem } from '../../support/item-world.js';

type Action = 'endorse' | 'approve' | 'reject' | 'suspend' | 'reinstate' | 'revoke';
const ACTIONS: Action[] = ['endorse', 'approve', 'reject', 'suspend', 'reinstate', 'revoke'];

t.test('the item workflow', async (t) => {
  const w = await buildWorld(t);
  const { ctx, supervisor, adminA } = w;
  // 17:00 UTC on 10 March is already 11 March at the border (UTC+08:00).
  ctx.clock.set('2026-03-10T17:00:00.000Z');

  const bodyOf = (action: Action): object | undefined =>
    action === 'approve'
      ? { validUntil: '2026-12-31' }
      : action === 'reject' || action === 'suspend' || action === 'revoke'
        ? { reason: `${action} for the test` }
        : undefined;
  const act = (action: Action, id: string, opts: { as?: Caller; payload?: object; headers?: Record<string, string> } = {}) =>
    ctx.request({
      method: 'POST',
      url: `/v1/items/${id}/${action}`,
      token: (opts.as ?? (action === 'endorse' ? adminA : supervisor)).token,
      ...(opts.payload ?? bodyOf(action) ? { payload: opts.payload ?? bodyOf(action) } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
  const read = async (id: string) => (await ctx.request({ method: 'GET', url: `/v1/items/${id}`, token: supervisor.token })).json();
  const expectInvalid = async (t: Tap, id: string, allowed: Action[], state: string) => {
    for (const action of ACTIONS.filter((a) => !allowed.includes(a))) {
      const res = await act(action, id);
      t.equal(res.statusCode, 409, `${action} of a ${state} item is a 409`);
      t.equal(problem(res).code, 'INVALID_TRANSITION', `${action} of a ${state} item: INVALID_TRANSITION`);
      t.match(problem(res).detail, new RegExp(`Cannot ${action} an item that is ${state}`));
    }
    t.equal((await read(id)).status, state, `still ${state}`);
  };
  type Tap = typeof t;

  t.test('submitted → endorsed → approved ⇄ suspended → revoked, with every wrong step a 409', async (t) => {
    const created = await createItem(w, w.researcherA, w.instA, sampleBody(undefined));
    t.equal(created.statusCode, 201);
    const id = created.json().id;
    t.equal(created.json().status, 'submitted');
    await expectInvalid(t, id, ['endorse', 'reject', 'revoke'], 'submitted');

    const endorsed = await act('endorse', id);
    t.equal(endorsed.statusCode, 200, endorsed.body);
    t.match(endorsed.json(), { status: 'endorsed', statusReason: null, validUntil: null });
    t.equal(endorsed.headers.etag, '"v2"');
    await expectInvalid(t, id, ['approve', 'reject', 'revoke'], 'endorsed');

    const approved = await act('approve', id, { payload: { validUntil: '2026-09-30' } });
    t.equal(approved.statusCode, 200, approved.body);
    t.match(approved.json(), { status: 'approved', validUntil: '2026-09-30', statusReason: null });
    await expectInvalid(t, id, ['approve', 'suspend', 'revoke'], 'approved');

    const renewed = await act('approve', id, { payload: { validUntil: '2027-09-30' } });
    t.equal(renewed.statusCode, 200, 'approving an approved item renews it');
    t.match(renewed.json(), { status: 'approved', validUntil: '2027-09-30' });

    const suspended = await act('suspend', id, { payload: { reason: 'permit under review' } });
    t.equal(suspended.statusCode, 200);
    t.match(suspended.json(), { status: 'suspended', statusReason: 'permit under review', validUntil: '2027-09-30' });
    await expectInvalid(t, id, ['reinstate', 'revoke'], 'suspended');

    const reinstated = await act('reinstate', id, { payload: { reason: 'permit renewed' } });
    t.equal(reinstated.statusCode, 200);
    t.match(reinstated.json(), { status: 'approved', statusReason: null, validUntil: '2027-09-30' });

    const revoked = await act('revoke', id, { payload: { reason: 'project ended' } });
    t.equal(revoked.statusCode, 200);
    t.match(revoked.json(), { status: 'revoked', statusReason: 'project ended' });
    await expectInvalid(t, id, [], 'revoked');
    const patch = await ctx.request({
      method: 'PATCH',
      url: `/v1/items/${id}`,
      token: supervisor.token,
      payload: { name: 'too late' },
      headers: { 'if-match': revoked.headers.etag as string },
    });
    t.equal(patch.statusCode, 409, 'a revoked item is final: no PATCH either');
    t.equal(problem(patch).code, 'ITEM_REVOKED');

    t.test('every step appended an audit event with before and after', async (t) => {
      const res = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=item:${id}`, token: w.auditor.token });
      t.equal(res.statusCode, 200);
      const events: { action: string; actor: string; role: string; at: string; data: Record<string, unknown> }[] = res.json().items;
      t.same(
        events.map((e) => e.action),
        ['item.create', 'item.endorse', 'item.approve', 'item.approve', 'item.suspend', 'item.reinstate', 'item.revoke'],
        'one event per change, none for the refused ones',
      );
      t.match(events[1], { actor: adminA.userId, role: 'institution_admin', data: { before: { status: 'submitted' }, after: { status: 'endorsed' } } });
      t.match(events[2]!.data, { before: { status: 'endorsed', validUntil: null }, after: { status: 'approved', validUntil: '2026-09-30' } });
      t.match(events[3]!.data, { renewal: true, before: { validUntil: '2026-09-30' }, after: { validUntil: '2027-09-30' } });
      t.match(events[4]!.data, { reason: 'permit under review', after: { status: 'suspended', statusReason: 'permit under review' } });
      t.match(events[5]!.data, { reason: 'permit renewed', before: { status: 'suspended' }, after: { status: 'approved', statusReason: null } });
      t.match(events[6], { actor: supervisor.userId, role: 'supervisor', data: { institutionId: w.instA, after: { status: 'revoked' } } });
      t.ok(events.slice(1).every((e) => e.at === '2026-03-10T17:00:00.000Z'), 'stamped with the injected clock');
      const verify = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: w.auditor.token });
      t.equal(verify.json().ok, true, 'the chain still verifies');
    });
  });

  t.test('rejection from submitted or endorsed; a rejected item can only be revoked', async (t) => {
    const submitted = (await createItem(w, w.researcherA, w.instA, reagentBody(undefined))).json().id;
    const rejected = await act('reject', submitted, { payload: { reason: 'no CAS safety data sheet' } });
    t.equal(rejected.statusCode, 200);
    t.match(rejected.json(), { status: 'rejected', statusReason: 'no CAS safety data sheet' });
    await expectInvalid(t, submitted, ['revoke'], 'rejected');

    const endorsed = (await createItem(w, adminA, w.instA, equipmentBody([w.rA]))).json().id;
    t.equal((await act('reject', endorsed)).statusCode, 200, 'an endorsed item can be rejected');
    t.equal((await act('revoke', endorsed)).statusCode, 200, 'and then revoked');
  });

  t.test('bodies of the actions', async (t) => {
    const id = await seedItem(w, w.instA, [w.rA], 'endorsed');
    const past = await act('approve', id, { payload: { validUntil: '2026-03-10' } });
    t.equal(past.statusCode, 422, 'yesterday at the border is in the past, though still today in UTC');
    t.same(errorPaths(past), ['validUntil']);
    t.match(problem(past).errors![0]!.message, /2026-03-11/);
    for (const [name, payload, path] of [
      ['no validUntil', {}, 'validUntil'],
      ['not a date', { validUntil: '31/12/2026' }, 'validUntil'],
      ['an impossible date', { validUntil: '2026-02-30' }, 'validUntil'],
      ['validFrom, which items do not take', { validUntil: '2026-12-31', validFrom: '2026-04-01' }, 'validFrom'],
      ['a status', { validUntil: '2026-12-31', status: 'revoked' }, 'status'],
    ] as const) {
      const res = await act('approve', id, { payload });
      t.equal(res.statusCode, 422, name);
      t.ok(errorPaths(res).includes(path), `${name}: names ${path}`);
    }
    const today = await act('approve', id, { payload: { validUntil: '2026-03-11' } });
    t.equal(today.statusCode, 200, 'today at the border is fine');

    for (const action of ['suspend', 'revoke'] as const) {
      for (const payload of [{}, { reason: '   ' }, { reason: 'x', extra: 1 }]) {
        const res = await act(action, id, { payload });
        t.equal(res.statusCode, 422, `${action} ${JSON.stringify(payload)}`);
      }
      const none = await ctx.request({ method: 'POST', url: `/v1/items/${id}/${action}`, token: supervisor.token });
      t.equal(none.statusCode, 422, `${action} needs a body with a reason`);
    }
    const sub = await seedItem(w, w.instA, [w.rA], 'submitted');
    const withJunk = await act('endorse', sub, { payload: { status: 'approved' } });
    t.equal(withJunk.statusCode, 422, 'endorse takes no fields');
    t.same(errorPaths(withJunk), ['status']);
    t.equal((await act('endorse', sub, { payload: {} })).statusCode, 200, 'an empty JSON body is fine');
    t.equal((await read(sub)).status, 'endorsed');
  });

  t.test('If-Match is honoured on the actions; Idempotency-Key makes a retry safe', async (t) => {
    const id = await seedItem(w, w.instA, [w.rA], 'approved');
    const stale = await act('suspend', id, { headers: { 'if-match': '"v7"' } });
    t.equal(stale.statusCode, 412);
    t.equal(problem(stale).code, 'PRECONDITION_FAILED');
    const ok = await act('suspend', id, { headers: { 'if-match': '"v1"', 'idempotency-key': 'suspend-1' } });
    t.equal(ok.statusCode, 200, ok.body);
    t.equal(ok.headers.etag, '"v2"');
    const retry = await act('suspend', id, { headers: { 'if-match': '"v1"', 'idempotency-key': 'suspend-1' } });
    t.equal(retry.statusCode, 200, 'the retry gets the first answer, not a 409');
    t.equal(retry.headers['idempotent-replayed'], 'true');
    t.same(retry.json(), ok.json());
    const again = await act('suspend', id);
    t.equal(again.statusCode, 409, 'without the key it is a second suspension');
  });

  t.test('an unknown item is a 404 for every action', async (t) => {
    for (const action of ACTIONS) {
      const res = await act(action, '0190f3a2-0000-7000-8000-00000000abcd');
      t.equal(res.statusCode, 404, action);
      t.equal(problem(res).code, 'NOT_FOUND');
    }
  });
});
