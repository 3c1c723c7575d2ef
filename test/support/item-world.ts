import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { items } from '../../src/db/schema.js';
import { insertItem } from '../../src/modules/items/queries.js';
import { createItemBody } from '../../src/modules/items/schemas.js';
import { buildTestApp, type Caller, type TestApp } from './app.js';
import { insertInstitution, insertResearcher } from './records.js';
import type { ProblemBody } from './http-checks.js';

type Tap = Parameters<typeof buildTestApp>[0];
type ItemStatus = (typeof items.$inferSelect)['status'];

/** Two institutions, their staff, and a caller of every role. */
export interface World {
  ctx: TestApp;
  instA: string;
  instB: string;
  /** Researchers: A approved (signs in), A2 nominated (signs in), A3 approved, B approved (signs in). */
  rA: string;
  rA2: string;
  rA3: string;
  rB: string;
  supervisor: Caller;
  officer: Caller;
  auditor: Caller;
  adminA: Caller;
  adminB: Caller;
  researcherA: Caller;
  researcherA2: Caller;
  researcherB: Caller;
}

export async function buildWorld(t: Tap): Promise<World> {
  const ctx = await buildTestApp(t);
  const instA = (await insertInstitution(ctx.db, { side: 'SZ', name: 'Shenzhen Institute of Testing' })).id;
  const instB = (await insertInstitution(ctx.db, { side: 'HK', name: 'Hong Kong University of Testing' })).id;
  const rA = (await insertResearcher(ctx.db, { institutionId: instA, status: 'approved', fullName: 'LI WEI' })).id;
  const rA2 = (await insertResearcher(ctx.db, { institutionId: instA, status: 'nominated', fullName: 'WANG FANG' })).id;
  const rA3 = (await insertResearcher(ctx.db, { institutionId: instA, status: 'approved', fullName: 'ZHANG MIN' })).id;
  const rB = (await insertResearcher(ctx.db, { institutionId: instB, status: 'approved', fullName: 'CHAN TAI MAN' })).id;
  const [supervisor, officer, auditor, adminA, adminB, researcherA, researcherA2, researcherB] = await Promise.all([
    ctx.caller('supervisor'),
    ctx.caller('officer'),
    ctx.caller('auditor'),
    ctx.caller('institution_admin', { institutionId: instA }),
    ctx.caller('institution_admin', { institutionId: instB }),
    ctx.caller('researcher', { researcherId: rA, institutionId: instA }),
    ctx.caller('researcher', { researcherId: rA2, institutionId: instA }),
    ctx.caller('researcher', { researcherId: rB, institutionId: instB }),
  ]);
  return { ctx, instA, instB, rA, rA2, rA3, rB, supervisor, officer, auditor, adminA, adminB, researcherA, researcherA2, researcherB };
}

let serial = 0;
export const nextSerial = () => `SN-${process.pid}-${++serial}`;

export const SHA_ABC = 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD';

export function equipmentBody(custodianIds: string[] | undefined, over: Record<string, unknown> = {}) {
  return {
    category: 'equipment',
    name: 'Confocal microscope objective',
    description: 'Oil immersion 63x',
    homeSide: 'SZ',
    ...(custodianIds ? { custodianIds } : {}),
    serialNumber: nextSerial(),
    manufacturer: 'Carl Zeiss',
    model: 'Plan-Apochromat 63x/1.40',
    hsCode: '9002.11',
    valueAmount: 86500.5,
    valueCurrency: 'HKD',
    maxDaysAbroad: 30,
    ...over,
  };
}

export function reagentBody(custodianIds: string[] | undefined, over: Record<string, unknown> = {}) {
  return {
    category: 'reagent',
    name: 'Ethanol, absolute',
    homeSide: 'SZ',
    ...(custodianIds ? { custodianIds } : {}),
    quantity: 500,
    unit: 'mL',
    casNumber: '64-17-5',
    hazardClass: 'UN 3',
    hsCode: '2207.10.00',
    ...over,
  };
}

export function sampleBody(custodianIds: string[] | undefined, over: Record<string, unknown> = {}) {
  return {
    category: 'biological_sample',
    name: 'HEK293 cell line aliquots',
    homeSide: 'HK',
    ...(custodianIds ? { custodianIds } : {}),
    quantity: 12,
    unit: 'vials',
    biosafetyLevel: 2,
    permitReference: 'HK-AFCD-2026-00123',
    ...over,
  };
}

export function dataBody(custodianIds: string[] | undefined, over: Record<string, unknown> = {}) {
  return {
    category: 'data',
    name: 'Cohort imaging set',
    homeSide: 'SZ',
    ...(custodianIds ? { custodianIds } : {}),
    sha256: SHA_ABC,
    sizeBytes: 1_073_741_824,
    classification: 'internal',
    ...over,
  };
}

/** POST /v1/institutions/{id}/items. */
export function createItem(
  w: World,
  caller: Caller,
  institutionId: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return w.ctx.request({ method: 'POST', url: `/v1/institutions/${institutionId}/items`, token: caller.token, payload: body as object, headers });
}

/**
 * An item put straight into the database (through the module's own insert) in the
 * status a test needs, so that a permission check is not masked by the workflow.
 */
export async function seedItem(
  w: World,
  institutionId: string,
  custodianIds: string[],
  status: ItemStatus = 'endorsed',
  opts: { submittedBy?: string | null; validUntil?: string | null } = {},
): Promise<string> {
  const body = createItemBody.parse(equipmentBody(custodianIds));
  return w.ctx.db.transaction(async (tx) => {
    const row = await insertItem(tx, {
      institutionId,
      status: status === 'submitted' ? 'submitted' : 'endorsed',
      submittedBy: opts.submittedBy ?? null,
      custodianIds: [...custodianIds].sort(),
      body,
      now: new Date(),
    });
    const validUntil = opts.validUntil !== undefined ? opts.validUntil : status === 'approved' || status === 'suspended' ? '2099-12-31' : null;
    if (status !== row.status || validUntil !== null) {
      await tx.update(items).set({ status, validUntil }).where(eq(items.id, row.id));
    }
    return row.id;
  });
}

export type { ProblemBody };

export const problem = (res: LightMyRequestResponse) => res.json<ProblemBody>();
export const errorPaths = (res: LightMyRequestResponse) => (problem(res).errors ?? []).map((e) => e.path);
