// Object-level authorization (OWASP API1:2023, BOLA), swept over the OpenAPI
// document rather than listed by hand: institutions A and B are built the same way
// (an admin, a researcher with an account, a nominee, documents, items, an API
// client, a crossing). For every GET / PATCH / POST / DELETE route with a path
// parameter, A's admin, A's researcher and A's API client call it on B's objects — and on their own
// institution's path with B's object where a route takes two ids — with a valid
// body. Each answer must be a 404 (or a 403 where the role is refused outright, the
// same 403 they get on their own objects), never a 2xx, and must not carry any of
// B's data. Afterwards nothing of B has changed. Lists filtered by B's ids carry
// nothing of B either. (The per-module scope matrices test the roles one by one.)
import { sql } from 'drizzle-orm';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { queryRows } from '../../../src/db/client.js';
import { buildTestApp } from '../../support/app.js';
import { randomPassport } from '../../support/documents.js';
import { exampleOf, type GenContext, type OpenApiDoc, type Operation, operationsOf } from '../../support/openapi.js';
import { type Account, buildWorld, type Side } from '../../support/world.js';

const ctx = await buildTestApp(t);
const world = await buildWorld(ctx);
const { a, b } = world;
const doc = (await ctx.request({ method: 'GET', url: '/docs/json' })).json<OpenApiDoc>();
const operations = operationsOf(doc);
const withIds = operations.filter((op) => op.pathParams.length > 0);

/** The objects of one side that a path parameter can name, by what the path is about. */
function objectsOf(side: Side, op: Operation, param: string): string[] {
  if (param === 'clientId') return [side.apiClientId];
  if (param === 'documentId') return [side.passportDocumentId, side.hkidDocumentId];
  const p = op.path;
  if (p.startsWith('/v1/institutions/')) return [side.institutionId];
  if (p.startsWith('/v1/researchers/')) return /approve|reject/.test(p) ? [side.nomineeId, side.researcherId] : [side.researcherId, side.nomineeId];
  if (p.startsWith('/v1/items/')) return /endorse|reject/.test(p) ? [side.submittedItemId, side.equipmentId] : [side.equipmentId, side.reagentId, side.submittedItemId];
  if (p.startsWith('/v1/crossings/')) return [side.crossingId];
  if (p.startsWith('/v1/users/')) return [side.admin.id, side.researcherAccount.id];
  return [side.institutionId];
}

const future = '2031-12-31';
/** A valid body for each route, so that only the object's owner stands between the caller and a change. */
function bodyFor(op: Operation, target: Side): unknown {
  const key = `${op.method} ${op.path.replace(/\{[^}]+\}/g, '{}')}`;
  const researcherBody = () => ({
    fullName: 'Intruder Eve',
    dateOfBirth: '1990-01-01',
    nationality: 'GBR',
    email: 'eve@example.com',
    documents: [{ kind: 'passport', number: randomPassport('V'), issuingCountry: 'GBR', expiresOn: '2035-01-01' }],
  });
  const table: Record<string, unknown> = {
    'PATCH /v1/institutions/{}': { name: 'Renamed by someone else' },
    'POST /v1/institutions/{}/suspend': { reason: 'not yours' },
    'POST /v1/institutions/{}/reinstate': { reason: 'not yours' },
    'POST /v1/institutions/{}/researchers': researcherBody(),
    'POST /v1/institutions/{}/researchers/import': [researcherBody()],
    'POST /v1/institutions/{}/items': {
      category: 'equipment',
      name: 'Planted laptop',
      homeSide: 'HK',
      custodianIds: [target.researcherId],
      serialNumber: `PLANT-${target.tag}`,
      manufacturer: 'Acme',
      model: 'X',
      hsCode: '847130',
      valueAmount: 1000,
      valueCurrency: 'HKD',
    },
    'POST /v1/institutions/{}/api-clients': { name: 'planted' },
    'PATCH /v1/researchers/{}': { email: 'hijacked@example.com' },
    'POST /v1/researchers/{}/approve': { validUntil: future },
    'POST /v1/researchers/{}/reject': { reason: 'not yours' },
    'POST /v1/researchers/{}/suspend': { reason: 'not yours' },
    'POST /v1/researchers/{}/reinstate': { reason: 'not yours' },
    'POST /v1/researchers/{}/revoke': { reason: 'not yours' },
    'POST /v1/researchers/{}/documents': { kind: 'passport', number: randomPassport('W'), issuingCountry: 'GBR', expiresOn: '2035-01-01' },
    'PATCH /v1/items/{}': { name: 'Renamed laptop' },
    'POST /v1/items/{}/endorse': {},
    'POST /v1/items/{}/approve': { validUntil: future },
    'POST /v1/items/{}/reject': { reason: 'not yours' },
    'POST /v1/items/{}/suspend': { reason: 'not yours' },
    'POST /v1/items/{}/revoke': { reason: 'not yours' },
    'POST /v1/items/{}/reinstate': { reason: 'not yours' },
    'POST /v1/crossings/{}/inspection': { outcome: 'RELEASED', notes: 'not yours' },
  };
  if (key in table) return table[key];
  // A route this table does not know yet: an example of its body schema.
  if (!op.body) return undefined;
  const gen: GenContext = { doc, hints: {}, ids: [target.researcherId] };
  return exampleOf(op.body.schema, gen);
}

interface Call {
  op: Operation;
  attacker: Account;
  url: string;
  ownUrl: string;
  body: unknown;
}

function send(account: Account, op: Operation, url: string, body: unknown): Promise<LightMyRequestResponse> {
  return ctx.request({
    method: op.method as InjectOptions['method'],
    url,
    token: account.token,
    // If-Match: * so that a missing precondition is not what stops an update.
    headers: op.method === 'PATCH' ? { 'if-match': '*' } : {},
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

/** Every way to point a route at B's objects: all of them B's, and (two ids) A's own first id with B's second. */
function callsFor(op: Operation, attacker: Account): Call[] {
  const params = op.pathParams.map((p) => p.name);
  const fill = (values: Record<string, string>) => op.path.replace(/\{([^}]+)\}/g, (_, name: string) => values[name]!);
  const calls: Call[] = [];
  const bIds = params.map((p) => objectsOf(b, op, p));
  const aIds = params.map((p) => objectsOf(a, op, p));
  const combos: string[][] = bIds.reduce<string[][]>((acc, ids) => acc.flatMap((c) => ids.map((id) => [...c, id])), [[]]);
  for (const combo of combos) {
    const values = Object.fromEntries(params.map((p, i) => [p, combo[i]!]));
    const own = Object.fromEntries(params.map((p, i) => [p, aIds[i]![Math.min(bIds[i]!.indexOf(combo[i]!), aIds[i]!.length - 1)]!]));
    calls.push({ op, attacker, url: fill(values), ownUrl: fill(own), body: bodyFor(op, b) });
  }
  if (params.length === 2) {
    for (const second of bIds[1]!) {
      const values = { [params[0]!]: aIds[0]![0]!, [params[1]!]: second };
      const own = { [params[0]!]: aIds[0]![0]!, [params[1]!]: aIds[1]![0]! };
      calls.push({ op, attacker, url: fill(values), ownUrl: fill(own), body: bodyFor(op, a) });
    }
  }
  return calls;
}

/** B's rows as they stand: nothing of them may change during the sweep. */
async function snapshotB(): Promise<string> {
  const rows = await Promise.all([
    queryRows(ctx.db, sql`select to_jsonb(i) as r from institutions i where id = ${b.institutionId}::uuid`),
    queryRows(ctx.db, sql`select to_jsonb(r) as r from researchers r where institution_id = ${b.institutionId}::uuid order by id`),
    queryRows(ctx.db, sql`select to_jsonb(d) as r from identity_documents d join researchers r on r.id = d.researcher_id where r.institution_id = ${b.institutionId}::uuid order by d.id`),
    queryRows(ctx.db, sql`select to_jsonb(i) as r from items i where institution_id = ${b.institutionId}::uuid order by id`),
    queryRows(ctx.db, sql`select to_jsonb(c) as r from item_custodians c join items i on i.id = c.item_id where i.institution_id = ${b.institutionId}::uuid order by c.item_id, c.researcher_id`),
    queryRows(ctx.db, sql`select to_jsonb(c) as r from api_clients c where institution_id = ${b.institutionId}::uuid order by id`),
    queryRows(ctx.db, sql`select to_jsonb(u) - 'last_login_at' as r from users u where id in (${b.admin.id}::uuid, ${b.researcherAccount.id}::uuid) order by id`),
    queryRows(ctx.db, sql`select count(*)::int as r from inspections where crossing_id = ${b.crossingId}::uuid`),
  ]);
  return JSON.stringify(rows);
}

const before = await snapshotB();
const refusedByRole = (res: LightMyRequestResponse) => res.statusCode === 403;

// A's integration, signed in with client_credentials: an institution_admin principal of kind `client`.
const aClient: Account = {
  id: a.apiClientUuid,
  username: `client:${a.apiClientId}`,
  role: 'institution_admin',
  token: ctx.app.issueToken({ sub: a.apiClientUuid, kind: 'client', role: 'institution_admin', institutionId: a.institutionId }).token,
};
const label = (x: Account) => (x === aClient ? 'API client' : x.role);

for (const attacker of [a.admin, a.researcherAccount, aClient]) {
  t.test(`${label(attacker)} of A on B's objects: every route with an id answers 404 (or the 403 its role always gets), never B's data`, async (t) => {
    let sent = 0;
    const outcomes = new Map<number, number>();
    for (const op of withIds) {
      for (const call of callsFor(op, attacker)) {
        const res = await send(attacker, op, call.url, call.body);
        sent += 1;
        outcomes.set(res.statusCode, (outcomes.get(res.statusCode) ?? 0) + 1);
        const what = `${op.method} ${call.url.replace(b.institutionId, '{B inst}').replace(a.institutionId, '{A inst}')}`;
        t.ok(res.statusCode < 200 || res.statusCode >= 300, `${what}: not a 2xx (${res.statusCode})`);
        if (refusedByRole(res)) {
          // A 403 is fine only when the role is refused whatever the object: the same call on A's own object is a 403 too.
          const own = await send(attacker, op, call.ownUrl, bodyFor(op, a));
          t.equal(own.statusCode, 403, `${what}: 403 for B's object and for A's own (the role, not the object, is refused) — own: ${own.statusCode} ${own.body.slice(0, 160)}`);
        } else {
          t.equal(res.statusCode, 404, `${what}: 404 (${res.body.slice(0, 200)})`);
        }
        // What the caller typed (the URL, echoed as the problem's `instance`) is not a leak; anything else of B is.
        const leaked = b.secrets.filter((s) => !call.url.includes(s) && (res.body.includes(s) || JSON.stringify(res.headers).includes(s)));
        t.same(leaked, [], `${what}: nothing of B in the answer`);
      }
    }
    t.comment(`${sent} calls on ${withIds.length} routes with an id; answers ${JSON.stringify(Object.fromEntries(outcomes))}`);
  });
}

t.test('control: the same admin reads its own objects on the same routes (200), so the 404s above are about ownership', async (t) => {
  const reads = withIds.filter((op) => op.method === 'GET');
  let allowed = 0;
  for (const op of reads) {
    const url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => objectsOf(a, op, name)[0]!);
    const res = await send(a.admin, op, url, undefined);
    if (res.statusCode === 403) continue;
    allowed += 1;
    t.equal(res.statusCode, 200, `${op.method} ${op.path} on A's own object: 200 (${res.body.slice(0, 200)})`);
  }
  t.ok(allowed >= 6, `${allowed} of the ${reads.length} GET routes with an id are open to an institution admin`);
});

t.test('lists filtered by B’s ids carry nothing of B', async (t) => {
  const lists = operations.filter((op) => op.method === 'GET' && op.pathParams.length === 0 && op.queryParams.length > 0);
  for (const attacker of [a.admin, a.researcherAccount, aClient]) {
    for (const op of lists) {
      const query = op.queryParams
        .map((p) => {
          if (p.name === 'institutionId') return `institutionId=${b.institutionId}`;
          if (p.name === 'researcherId' || p.name === 'custodianId') return `${p.name}=${b.researcherId}`;
          if (p.name === 'serialNumber') return `serialNumber=${encodeURIComponent(b.serialNumber)}`;
          if (p.name === 'subject') return `subject=${encodeURIComponent(`researcher:${b.researcherId}`)}`;
          return undefined;
        })
        .filter((q): q is string => q !== undefined);
      const url = `${op.path}?${query.join('&')}`;
      const res = await send(attacker, op, url, undefined);
      const leaked = b.secrets.filter((s) => res.body.includes(s));
      t.same(leaked, [], `${label(attacker)} ${url}: ${res.statusCode}, nothing of B`);
      if (res.statusCode === 200) {
        const items = (res.json<{ items?: unknown[] }>().items ?? []) as unknown[];
        t.notOk(JSON.stringify(items).includes(b.institutionId), `${label(attacker)} ${url}: no row of B's institution`);
      }
    }
  }
});

t.test('after the sweep, nothing of B has changed', async (t) => {
  t.equal(await snapshotB(), before, "B's institution, researchers, documents, items, custodians, API clients, accounts and inspections are as they were");
  const events = await queryRows<{ action: string; subject: string }>(
    ctx.db,
    sql`select action, subject from audit_events where actor in (${a.admin.id}, ${a.researcherAccount.id}, ${`client:${a.apiClientUuid}`})
          and (subject like ${`%${b.institutionId}%`} or subject like ${`%${b.researcherId}%`} or subject like ${`%${b.equipmentId}%`})`,
  );
  t.same(events, [], 'and the audit log records no change by A to anything of B');
});
