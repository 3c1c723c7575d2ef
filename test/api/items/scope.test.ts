import t from 'tap';
import type { Caller } from '../../support/app.js';
import { buildWorld, createItem, reagentBody, seedItem } from '../../support/item-world.js';

/**
 * The scope matrix: every role × every item route × an item of the caller's own
 * institution and of another, with the expected status. Each mutating case gets
 * a fresh item in the status its action starts from, so that what is tested is
 * who may act, not the workflow.
 */

type Who = 'supervisor' | 'officer' | 'auditor' | 'adminA' | 'researcherA' | 'researcherA2' | 'researcherB';
type Whose = 'A' | 'B';
type Route = 'GET' | 'PATCH' | 'endorse' | 'approve' | 'reject' | 'suspend' | 'reinstate' | 'revoke';

/** The item lives in institution A or B; rA is its custodian in A (and its submitter), rB in B. */
const START: Record<Route, 'submitted' | 'endorsed' | 'approved' | 'suspended'> = {
  GET: 'endorsed',
  PATCH: 'submitted',
  endorse: 'submitted',
  approve: 'endorsed',
  reject: 'endorsed',
  suspend: 'approved',
  reinstate: 'suspended',
  revoke: 'approved',
};

// Expected status for [who][route] on an item of institution A / B.
const ALL_403: Record<Route, [number, number]> = {
  GET: [403, 403],
  PATCH: [403, 403],
  endorse: [403, 403],
  approve: [403, 403],
  reject: [403, 403],
  suspend: [403, 403],
  reinstate: [403, 403],
  revoke: [403, 403],
};
const SUPERVISOR_ACTIONS = { approve: [403, 403], reject: [403, 403], suspend: [403, 403], reinstate: [403, 403], revoke: [403, 403] } as const;

const MATRIX: Record<Who, Record<Route, readonly [number, number]>> = {
  supervisor: {
    GET: [200, 200],
    PATCH: [200, 200],
    endorse: [403, 403],
    approve: [200, 200],
    reject: [200, 200],
    suspend: [200, 200],
    reinstate: [200, 200],
    revoke: [200, 200],
  },
  officer: { ...ALL_403, GET: [200, 200] },
  auditor: ALL_403,
  adminA: { GET: [200, 404], PATCH: [200, 404], endorse: [200, 404], ...SUPERVISOR_ACTIONS },
  // the custodian and submitter of A's item
  researcherA: { GET: [200, 404], PATCH: [200, 404], endorse: [403, 403], ...SUPERVISOR_ACTIONS },
  // same institution, but not a custodian: the item is not there for them
  researcherA2: { GET: [404, 404], PATCH: [404, 404], endorse: [403, 403], ...SUPERVISOR_ACTIONS },
  researcherB: { GET: [404, 200], PATCH: [404, 200], endorse: [403, 403], ...SUPERVISOR_ACTIONS },
};

function requestFor(route: Route, id: string): { method: 'GET' | 'PATCH' | 'POST'; url: string; payload?: object; headers?: Record<string, string> } {
  switch (route) {
    case 'GET':
      return { method: 'GET', url: `/v1/items/${id}` };
    case 'PATCH':
      return { method: 'PATCH', url: `/v1/items/${id}`, payload: { name: 'Renamed' }, headers: { 'if-match': '"v1"' } };
    case 'approve':
      return { method: 'POST', url: `/v1/items/${id}/approve`, payload: { validUntil: '2099-12-31' } };
    case 'reject':
    case 'suspend':
    case 'revoke':
      return { method: 'POST', url: `/v1/items/${id}/${route}`, payload: { reason: 'scope matrix' } };
    default:
      return { method: 'POST', url: `/v1/items/${id}/${route}` };
  }
}

t.test('scope matrix of the item routes', async (t) => {
  const w = await buildWorld(t);
  const callers: Record<Who, Caller> = {
    supervisor: w.supervisor,
    officer: w.officer,
    auditor: w.auditor,
    adminA: w.adminA,
    researcherA: w.researcherA,
    researcherA2: w.researcherA2,
    researcherB: w.researcherB,
  };

  const fresh = async (whose: Whose, route: Route) => {
    const status = START[route];
    // Items the researchers submitted themselves, so that a researcher's own PATCH is allowed.
    return whose === 'A'
      ? seedItem(w, w.instA, [w.rA], status, { submittedBy: w.rA })
      : seedItem(w, w.instB, [w.rB], status, { submittedBy: w.rB });
  };

  let cases = 0;
  for (const who of Object.keys(MATRIX) as Who[]) {
    for (const route of Object.keys(MATRIX[who]) as Route[]) {
      for (const [i, whose] of (['A', 'B'] as const).entries()) {
        const expected = MATRIX[who][route][i]!;
        const id = await fresh(whose, route);
        const res = await w.ctx.request({ ...requestFor(route, id), token: callers[who].token });
        t.equal(res.statusCode, expected, `${who} ${route} item of ${whose}: ${expected} (${res.body.slice(0, 160)})`);
        if (expected >= 400) t.match(res.headers['content-type'], /^application\/problem\+json/);
        if (expected === 404) t.notMatch(res.body, /Shenzhen|Hong Kong|Confocal/, 'a 404 tells nothing of the item');
        cases += 1;
      }
    }
  }
  t.equal(cases, 7 * 8 * 2);

  t.test('registering: every role × own / other institution', async (t) => {
    const table: [Who | 'adminB', string, number][] = [
      ['supervisor', w.instA, 201],
      ['supervisor', w.instB, 201],
      ['adminA', w.instA, 201],
      ['adminA', w.instB, 404],
      ['researcherA', w.instA, 201],
      ['researcherA', w.instB, 404],
      ['researcherB', w.instA, 404],
      ['researcherB', w.instB, 201],
      ['officer', w.instA, 403],
      ['auditor', w.instA, 403],
    ];
    for (const [who, inst, expected] of table) {
      const caller = who === 'adminB' ? w.adminB : callers[who];
      const custodian = inst === w.instA ? w.rA : w.rB;
      const body = caller.role === 'researcher' ? reagentBody(undefined) : reagentBody([custodian]);
      const res = await createItem(w, caller, inst, body);
      t.equal(res.statusCode, expected, `${who} registers at ${inst === w.instA ? 'A' : 'B'}: ${res.body.slice(0, 160)}`);
      if (expected === 201) t.equal(res.json().status, caller.role === 'researcher' ? 'submitted' : 'endorsed');
    }
  });

  t.test('lists show only what is in scope', async (t) => {
    const list = async (caller: Caller, query = '') => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await w.ctx.request({
          method: 'GET',
          url: `/v1/items?limit=200${query}${cursor ? `&cursor=${cursor}` : ''}`,
          token: caller.token,
        });
        if (res.statusCode !== 200) return res.statusCode;
        const page: { items: { id: string; institutionId: string; custodianIds: string[] }[]; nextCursor: string | null } = res.json();
        ids.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
      } while (cursor);
      return ids;
    };
    const a = await seedItem(w, w.instA, [w.rA]);
    const a2 = await seedItem(w, w.instA, [w.rA2]);
    const b = await seedItem(w, w.instB, [w.rB]);

    const everything = (await list(w.supervisor)) as string[];
    t.ok([a, a2, b].every((id) => everything.includes(id)), 'supervisors see every item');
    t.same(await list(w.officer), everything, 'officers see every item');
    t.equal(await list(w.auditor), 403, 'auditors have no business with items');

    const ofA = (await list(w.adminA)) as string[];
    t.ok(ofA.includes(a) && ofA.includes(a2) && !ofA.includes(b), "an admin sees its institution's items only");
    t.same(await list(w.adminA, `&institutionId=${w.instB}`), [], 'and learns nothing by filtering on another');

    const ofRA = (await list(w.researcherA)) as string[];
    t.ok(ofRA.includes(a) && !ofRA.includes(a2) && !ofRA.includes(b), 'a researcher sees the items they may carry');
    const ofRA2 = (await list(w.researcherA2)) as string[];
    t.ok(ofRA2.includes(a2) && !ofRA2.includes(a));
    t.same(await list(w.researcherA, `&custodianId=${w.rA2}`), [], "filtering on a colleague's custody shows nothing more");
  });
});
