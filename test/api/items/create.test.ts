import { count, eq } from 'drizzle-orm';
import t from 'tap';
import { institutions, items } from '../../../src/db/schema.js';
import { insertResearcher } from '../../support/records.js';
import {
  buildWorld,
  createItem,
  dataBody,
  equipmentBody,
  errorPaths,
  problem,
  reagentBody,
  sampleBody,
  SHA_ABC,
} from '../../support/item-world.js';

const COMMON_KEYS = [
  'id',
  'institutionId',
  'category',
  'name',
  'description',
  'homeSide',
  'status',
  'statusReason',
  'validUntil',
  'custodianIds',
  'createdAt',
  'updatedAt',
];

t.test('registering items', async (t) => {
  const w = await buildWorld(t);
  const { ctx, instA, instB, rA, rA2, rA3, rB, adminA, supervisor } = w;

  const itemCount = async () => (await ctx.db.select({ n: count() }).from(items))[0]!.n;

  t.test('each category is registered with valid data, and answers only its own fields', async (t) => {
    const eq1 = await createItem(w, adminA, instA, equipmentBody([rA, rA2], { serialNumber: '  zx-9 100  77 ', hsCode: '9002.11' }));
    t.equal(eq1.statusCode, 201, eq1.body);
    const e = eq1.json();
    t.same(Object.keys(e).sort(), [
      ...COMMON_KEYS,
      'serialNumber', 'manufacturer', 'model', 'hsCode', 'valueAmount', 'valueCurrency', 'maxDaysAbroad', 'currentSide', 'returnBy',
    ].sort(), 'equipment: common fields plus its own, nothing else');
    t.match(e, {
      institutionId: instA,
      category: 'equipment',
      status: 'endorsed',
      statusReason: null,
      validUntil: null,
      homeSide: 'SZ',
      currentSide: 'SZ',
      returnBy: null,
      serialNumber: 'ZX-9 100 77',
      hsCode: '900211',
      valueAmount: 86500.5,
      valueCurrency: 'HKD',
      maxDaysAbroad: 30,
      description: 'Oil immersion 63x',
    });
    t.same(e.custodianIds, [rA, rA2].sort());
    t.equal(eq1.headers.etag, '"v1"');
    t.equal(eq1.headers.location, `/v1/items/${e.id}`);

    const rg = await createItem(w, adminA, instA, reagentBody([rA], { casNumber: ' 0000064-17-5 ' }));
    t.equal(rg.statusCode, 201, rg.body);
    const r = rg.json();
    t.same(Object.keys(r).sort(), [...COMMON_KEYS, 'quantity', 'remainingQuantity', 'unit', 'casNumber', 'hazardClass', 'hsCode'].sort());
    t.match(r, { category: 'reagent', quantity: 500, remainingQuantity: 500, unit: 'mL', casNumber: '64-17-5', hsCode: '22071000', hazardClass: 'UN 3' });

    const rgMinimal = await createItem(w, adminA, instA, reagentBody([rA], { hazardClass: undefined, hsCode: undefined, casNumber: '7732-18-5' }));
    t.equal(rgMinimal.statusCode, 201, rgMinimal.body);
    t.match(rgMinimal.json(), { hazardClass: null, hsCode: null, casNumber: '7732-18-5', description: null });

    const bs = await createItem(w, supervisor, instB, sampleBody([rB]));
    t.equal(bs.statusCode, 201, bs.body);
    const b = bs.json();
    t.same(Object.keys(b).sort(), [...COMMON_KEYS, 'quantity', 'remainingQuantity', 'unit', 'biosafetyLevel', 'permitReference'].sort());
    t.match(b, { category: 'biological_sample', status: 'endorsed', biosafetyLevel: 2, permitReference: 'HK-AFCD-2026-00123', remainingQuantity: 12 });

    const bsl1 = await createItem(w, adminA, instA, sampleBody([rA], { biosafetyLevel: 1, permitReference: undefined, quantity: 0.5 }));
    t.equal(bsl1.statusCode, 201, 'BSL 1 needs no permit');
    t.match(bsl1.json(), { biosafetyLevel: 1, permitReference: null, quantity: 0.5, remainingQuantity: 0.5 });

    const dt = await createItem(w, adminA, instA, dataBody([rA], { classification: 'personal_information', transferApprovalReference: 'CAC-2026-0042' }));
    t.equal(dt.statusCode, 201, dt.body);
    const d = dt.json();
    t.same(Object.keys(d).sort(), [...COMMON_KEYS, 'sha256', 'sizeBytes', 'classification', 'transferApprovalReference'].sort());
    t.match(d, { category: 'data', sha256: SHA_ABC.toLowerCase(), sizeBytes: 1_073_741_824, classification: 'personal_information', transferApprovalReference: 'CAC-2026-0042' });

    const read = await ctx.request({ method: 'GET', url: `/v1/items/${d.id}`, token: adminA.token });
    t.equal(read.statusCode, 200);
    t.same(read.json(), d, 'what is read back is what was answered');
    t.equal(read.headers.etag, '"v1"');
  });

  t.test('every validation rule is a 422 problem naming the field', async (t) => {
    const before = await itemCount();
    const cases: [string, unknown, string][] = [
      ['HS code too short', equipmentBody([rA], { hsCode: '84713' }), 'hsCode'],
      ['HS code too long', equipmentBody([rA], { hsCode: '84713000123' }), 'hsCode'],
      ['HS code with letters', equipmentBody([rA], { hsCode: '8471AB' }), 'hsCode'],
      ['HS code of a reagent', reagentBody([rA], { hsCode: '12' }), 'hsCode'],
      ['CAS check digit wrong', reagentBody([rA], { casNumber: '7732-18-4' }), 'casNumber'],
      ['CAS without hyphens', reagentBody([rA], { casNumber: '7732185' }), 'casNumber'],
      ['CAS missing', reagentBody([rA], { casNumber: undefined }), 'casNumber'],
      ['BSL 2 without permit', sampleBody([rA], { biosafetyLevel: 2, permitReference: undefined }), 'permitReference'],
      ['BSL 4 with a blank permit', sampleBody([rA], { biosafetyLevel: 4, permitReference: '   ' }), 'permitReference'],
      ['BSL 5', sampleBody([rA], { biosafetyLevel: 5 }), 'biosafetyLevel'],
      ['BSL 0', sampleBody([rA], { biosafetyLevel: 0 }), 'biosafetyLevel'],
      ['BSL 1.5', sampleBody([rA], { biosafetyLevel: 1.5 }), 'biosafetyLevel'],
      ['sha256 of 63 characters', dataBody([rA], { sha256: SHA_ABC.slice(1) }), 'sha256'],
      ['sha256 not hex', dataBody([rA], { sha256: `${SHA_ABC.slice(1)}g` }), 'sha256'],
      ['negative size', dataBody([rA], { sizeBytes: -1 }), 'sizeBytes'],
      ['unknown classification', dataBody([rA], { classification: 'secret' }), 'classification'],
      ['currency in lower case', equipmentBody([rA], { valueCurrency: 'hkd' }), 'valueCurrency'],
      ['currency not ISO 4217', equipmentBody([rA], { valueCurrency: 'ABC' }), 'valueCurrency'],
      ['currency of 2 letters', equipmentBody([rA], { valueCurrency: 'HK' }), 'valueCurrency'],
      ['negative value', equipmentBody([rA], { valueAmount: -5 }), 'valueAmount'],
      ['value with 3 decimals', equipmentBody([rA], { valueAmount: 1.005 }), 'valueAmount'],
      ['value as a string', equipmentBody([rA], { valueAmount: '100' }), 'valueAmount'],
      ['negative reagent quantity', reagentBody([rA], { quantity: -1 }), 'quantity'],
      ['zero sample quantity', sampleBody([rA], { quantity: 0 }), 'quantity'],
      ['maxDaysAbroad 0', equipmentBody([rA], { maxDaysAbroad: 0 }), 'maxDaysAbroad'],
      ['empty serial number', equipmentBody([rA], { serialNumber: '   ' }), 'serialNumber'],
      ['serial number with a control character', equipmentBody([rA], { serialNumber: 'AB\u0007C' }), 'serialNumber'],
      ['blank name', reagentBody([rA], { name: '  ' }), 'name'],
      ['unknown home side', reagentBody([rA], { homeSide: 'MO' }), 'homeSide'],
      ['unknown category', { ...reagentBody([rA]), category: 'weapon' }, 'category'],
      ['no category', { ...reagentBody([rA]), category: undefined }, 'category'],
      ['status set by the client', reagentBody([rA], { status: 'approved' }), 'status'],
      ['remaining quantity set by the client', reagentBody([rA], { remainingQuantity: 1 }), 'remainingQuantity'],
      ['currentSide set by the client', equipmentBody([rA], { currentSide: 'HK' }), 'currentSide'],
      ['a field of another category', reagentBody([rA], { serialNumber: 'X1' }), 'serialNumber'],
      ['an unknown field', dataBody([rA], { colour: 'red' }), 'colour'],
      ['custodian id not a uuid', reagentBody(['nope']), 'custodianIds.0'],
    ];
    for (const [name, body, path] of cases) {
      const res = await createItem(w, adminA, instA, body);
      t.equal(res.statusCode, 422, `${name}: ${res.body}`);
      t.match(res.headers['content-type'], /^application\/problem\+json/, `${name}: problem+json`);
      t.equal(problem(res).code, 'VALIDATION_FAILED', name);
      t.ok(errorPaths(res).includes(path), `${name}: names ${path} (got ${errorPaths(res).join(', ')})`);
    }
    const body = problem(await createItem(w, adminA, instA, reagentBody([rA], { casNumber: '7732-18-4' })));
    t.match(body.errors![0]!.message, /check digit/i, 'the CAS message says what is wrong');
    t.equal(await itemCount(), before, 'nothing was written');
  });

  t.test('equipment serial numbers are unique per institution', async (t) => {
    const first = await createItem(w, adminA, instA, equipmentBody([rA], { serialNumber: 'C02XL0GTJGH5' }));
    t.equal(first.statusCode, 201);
    const again = await createItem(w, adminA, instA, equipmentBody([rA3], { serialNumber: 'C02XL0GTJGH5', name: 'another' }));
    t.equal(again.statusCode, 409);
    t.equal(problem(again).code, 'SERIAL_NUMBER_TAKEN');
    t.ok(errorPaths(again).includes('serialNumber'));
    const sameButLower = await createItem(w, supervisor, instA, equipmentBody([rA], { serialNumber: ' c02xl0gtjgh5 ' }));
    t.equal(sameButLower.statusCode, 409, 'compared as normalised (trimmed, upper case)');
    const otherInstitution = await createItem(w, w.adminB, instB, equipmentBody([rB], { serialNumber: 'C02XL0GTJGH5' }));
    t.equal(otherInstitution.statusCode, 201, 'the same serial at another institution is fine');
  });

  t.test('two registrations of one serial racing each other: one 201, one 409', async (t) => {
    const body = equipmentBody([rA], { serialNumber: 'RACE-0001' });
    const results = await Promise.all([
      createItem(w, adminA, instA, body),
      createItem(w, supervisor, instA, body),
      createItem(w, adminA, instA, { ...body, name: 'same serial, other name' }),
    ]);
    t.same(results.map((r) => r.statusCode).sort(), [201, 409, 409], results.map((r) => r.body.slice(0, 120)).join(' | '));
    t.ok(results.filter((r) => r.statusCode === 409).every((r) => problem(r).code === 'SERIAL_NUMBER_TAKEN'));
  });

  t.test('custodians are approved or nominated researchers of the same institution', async (t) => {
    const suspended = (await insertResearcher(ctx.db, { institutionId: instA, status: 'suspended' })).id;
    const rejected = (await insertResearcher(ctx.db, { institutionId: instA, status: 'rejected' })).id;
    const revoked = (await insertResearcher(ctx.db, { institutionId: instA, status: 'revoked' })).id;
    const ghost = '0190f3a2-0000-7000-8000-000000000000';

    const nominated = await createItem(w, adminA, instA, reagentBody([rA2]));
    t.equal(nominated.statusCode, 201, 'a nominated researcher may be a custodian');

    const cases: [string, string[], string, RegExp][] = [
      ['a researcher of another institution', [rA, rB], 'custodianIds.1', /not a researcher of this institution/],
      ['a researcher that does not exist', [ghost], 'custodianIds.0', /not a researcher of this institution/],
      ['a suspended researcher', [rA, rA3, suspended], 'custodianIds.2', /suspended/],
      ['a rejected researcher', [rejected], 'custodianIds.0', /rejected/],
      ['a revoked researcher', [revoked], 'custodianIds.0', /revoked/],
      ['the same researcher twice', [rA, rA], 'custodianIds.1', /more than once/],
    ];
    for (const [name, ids, path, message] of cases) {
      const res = await createItem(w, adminA, instA, reagentBody(ids));
      t.equal(res.statusCode, 422, `${name}: ${res.body}`);
      const err = problem(res).errors?.find((e) => e.path === path);
      t.ok(err, `${name}: names ${path}`);
      t.match(err?.message, message, name);
    }
    const none = await createItem(w, adminA, instA, reagentBody([]));
    t.equal(none.statusCode, 422);
    t.ok(errorPaths(none).includes('custodianIds'), 'an empty list is refused');
    const omitted = await createItem(w, adminA, instA, reagentBody(undefined));
    t.equal(omitted.statusCode, 422);
    t.same(errorPaths(omitted), ['custodianIds'], 'institution admins must name the custodians');
    const bySupervisor = await createItem(w, supervisor, instA, reagentBody(undefined));
    t.equal(bySupervisor.statusCode, 422, 'supervisors too');
  });

  t.test('a researcher pre-registers an item with self as the only custodian', async (t) => {
    const omitted = await createItem(w, w.researcherA, instA, equipmentBody(undefined));
    t.equal(omitted.statusCode, 201, omitted.body);
    t.match(omitted.json(), { status: 'submitted', custodianIds: [rA], institutionId: instA });

    const self = await createItem(w, w.researcherA, instA, reagentBody([rA.toUpperCase()]));
    t.equal(self.statusCode, 201, 'naming self (in any case) is the same');
    t.same(self.json().custodianIds, [rA]);

    for (const [name, ids] of [
      ['another researcher', [rA3]],
      ['self and another', [rA, rA3]],
      ['self twice', [rA, rA]],
    ] as const) {
      const res = await createItem(w, w.researcherA, instA, reagentBody([...ids]));
      t.equal(res.statusCode, 422, name);
      t.same(errorPaths(res), ['custodianIds'], name);
    }
    const elsewhere = await createItem(w, w.researcherA, instB, reagentBody(undefined));
    t.equal(elsewhere.statusCode, 404, "another institution's items are not there for a researcher");

    const suspendedR = await insertResearcher(ctx.db, { institutionId: instA, status: 'suspended' });
    const suspendedCaller = await ctx.caller('researcher', { researcherId: suspendedR.id, institutionId: instA });
    const res = await createItem(w, suspendedCaller, instA, reagentBody(undefined));
    t.equal(res.statusCode, 422, 'a suspended researcher cannot be the custodian of a new item');
    t.same(errorPaths(res), ['custodianIds.0']);
  });

  t.test('institution checks', async (t) => {
    const missing = await createItem(w, supervisor, '0190f3a2-0000-7000-8000-000000000001', reagentBody([rA]));
    t.equal(missing.statusCode, 404);
    t.equal(problem(missing).code, 'NOT_FOUND');
    const badId = await createItem(w, supervisor, 'not-a-uuid', reagentBody([rA]));
    t.equal(badId.statusCode, 422);

    await ctx.db.update(institutions).set({ status: 'suspended' }).where(eq(institutions.id, instB));
    t.teardown(() => ctx.db.update(institutions).set({ status: 'active' }).where(eq(institutions.id, instB)));
    const suspended = await createItem(w, w.adminB, instB, reagentBody([rB]));
    t.equal(suspended.statusCode, 409);
    t.equal(problem(suspended).code, 'INSTITUTION_SUSPENDED');
  });

  t.test('Idempotency-Key: the same request answers the first response; another body is a 409', async (t) => {
    const body = equipmentBody([rA]);
    const headers = { 'idempotency-key': 'register-microscope-1' };
    const first = await createItem(w, adminA, instA, body, headers);
    t.equal(first.statusCode, 201);
    const n = await itemCount();
    const replay = await createItem(w, adminA, instA, body, headers);
    t.equal(replay.statusCode, 201);
    t.equal(replay.headers['idempotent-replayed'], 'true');
    t.same(replay.json(), first.json(), 'the same answer');
    t.equal(replay.headers.etag, first.headers.etag);
    t.equal(replay.headers.location, first.headers.location);
    t.equal(await itemCount(), n, 'nothing created twice');

    const reused = await createItem(w, adminA, instA, { ...body, name: 'something else' }, headers);
    t.equal(reused.statusCode, 409);
    t.equal(problem(reused).code, 'IDEMPOTENCY_KEY_REUSED');

    const otherCaller = await createItem(w, supervisor, instA, equipmentBody([rA]), headers);
    t.equal(otherCaller.statusCode, 201, 'keys are per caller');

    const failing = await createItem(w, adminA, instA, equipmentBody([rB]), { 'idempotency-key': 'retry-after-fix' });
    t.equal(failing.statusCode, 422);
    const fixed = await createItem(w, adminA, instA, equipmentBody([rA]), { 'idempotency-key': 'retry-after-fix' });
    t.equal(fixed.statusCode, 201, 'a failed request stores nothing: the key can be used once it is fixed');
  });

  t.test('each registration appends an audit event in the chain', async (t) => {
    const res = await createItem(w, w.researcherA, instA, dataBody(undefined));
    t.equal(res.statusCode, 201);
    const id = res.json().id;
    const events = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=item:${id}`, token: w.auditor.token });
    t.equal(events.statusCode, 200);
    const [ev, ...rest] = events.json().items;
    t.equal(rest.length, 0);
    t.match(ev, { action: 'item.create', actor: w.researcherA.userId, role: 'researcher', subject: `item:${id}` });
    t.same(ev.data.after, res.json());
    t.equal(ev.data.institutionId, instA);
    const verify = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: w.auditor.token });
    t.equal(verify.json().ok, true);
  });
});
