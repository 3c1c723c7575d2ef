import { randomBytes } from 'node:crypto';
import { identityDocuments, type Role } from '../../src/db/schema.js';
import { uuidv7 } from '../../src/lib/ids.js';
import { createUser, principalOfUser } from '../../src/modules/users/queries.js';
import { TEST_PASSWORD, type TestApp } from './app.js';
import { insertItem } from './travellers.js';
import { insertInstitution, insertResearcher } from './records.js';
import { validHkid } from './documents.js';

/** A signed-in account, made in the database with a token signed for it (no sign-in, so no limit is touched). */
export interface Account {
  id: string;
  username: string;
  role: Role;
  token: string;
}

let accountSeq = 0;

export async function account(
  ctx: TestApp,
  role: Role,
  scope: { institutionId?: string; researcherId?: string; checkpoint?: string } = {},
): Promise<Account> {
  const username = `hw-${role.replace(/_/g, '-')}-${process.pid}-${++accountSeq}`;
  const user = await createUser(ctx.db, {
    username,
    password: TEST_PASSWORD,
    role,
    ...(role === 'institution_admin' ? { institutionId: scope.institutionId } : {}),
    ...(role === 'researcher' ? { researcherId: scope.researcherId } : {}),
    ...(role === 'officer' ? { checkpoint: scope.checkpoint ?? 'LMC' } : {}),
  });
  return { id: user.id, username, role, token: ctx.app.issueToken(principalOfUser(user)).token };
}

/** One institution with its staff, documents, items, an API client and a crossing, each with a name that is easy to spot. */
export interface Side {
  tag: string;
  institutionId: string;
  institutionName: string;
  registrationNumber: string;
  admin: Account;
  /** Approved, with a passport and an HKID, custodian of every item; has an account. */
  researcherId: string;
  researcherName: string;
  passport: string;
  hkid: string;
  passportDocumentId: string;
  hkidDocumentId: string;
  researcherAccount: Account;
  /** A second researcher, nominated, without an account. */
  nomineeId: string;
  nomineeName: string;
  equipmentId: string;
  serialNumber: string;
  reagentId: string;
  /** An item the researcher submitted (for endorse). */
  submittedItemId: string;
  apiClientId: string;
  apiClientUuid: string;
  crossingId: string;
  /** Strings that are this side's and no one else's: none may appear in an answer to the other side. */
  secrets: string[];
}

export interface World {
  supervisor: Account;
  officer: Account;
  auditor: Account;
  a: Side;
  b: Side;
}

let hkidSeq = 0;

async function buildSide(ctx: TestApp, supervisor: Account, officer: Account, letter: 'A' | 'B'): Promise<Side> {
  const tag = `${letter}${randomBytes(3).toString('hex').toUpperCase().replace(/[0-9]/g, (d) => 'GHIJKLMNOP'[Number(d)]!)}`;
  const institutionName = `${letter === 'A' ? 'Alpha' : 'Bravo'} Institute ${tag}`;
  const registrationNumber = `REG-${tag}`;
  const inst = await insertInstitution(ctx.db, { name: institutionName, registrationNumber, side: letter === 'A' ? 'SZ' : 'HK' });
  const researcherName = `${letter === 'A' ? 'ALPHA' : 'BRAVO'} TRAVELLER ${tag}`;
  const researcher = await insertResearcher(ctx.db, {
    institutionId: inst.id,
    fullName: researcherName,
    status: 'approved',
    validFrom: '2020-01-01',
    validUntil: '2099-12-31',
  });
  const nomineeName = `${letter === 'A' ? 'ALPHA' : 'BRAVO'} NOMINEE ${tag}`;
  const nominee = await insertResearcher(ctx.db, { institutionId: inst.id, fullName: nomineeName, status: 'nominated' });
  const passport = `${letter}${String(randomBytes(4).readUInt32BE(0) % 100_000_000).padStart(8, '0')}`;
  const hkid = validHkid((process.pid * 10 + ++hkidSeq) % 1_000_000, letter === 'A' ? 'X' : 'W');
  const passportDocumentId = uuidv7();
  const hkidDocumentId = uuidv7();
  await ctx.db.insert(identityDocuments).values([
    { id: passportDocumentId, researcherId: researcher.id, institutionId: inst.id, status: 'approved', kind: 'passport', number: passport, issuingCountry: 'CHN', countryKey: 'CHN', expiresOn: '2099-01-01' },
    { id: hkidDocumentId, researcherId: researcher.id, institutionId: inst.id, status: 'approved', kind: 'hkid', number: hkid, issuingCountry: 'HKG', countryKey: '', expiresOn: '2099-01-01' },
  ]);
  const serialNumber = `SN-${tag}`;
  const equipment = await insertItem(ctx.db, inst.id, [researcher.id], { category: 'equipment', serialNumber, name: `Laptop ${tag}` });
  const reagent = await insertItem(ctx.db, inst.id, [researcher.id], { category: 'reagent', name: `Reagent ${tag}`, quantity: 1000 });
  const submitted = await insertItem(ctx.db, inst.id, [researcher.id], { category: 'data', name: `Dataset ${tag}`, status: 'submitted', validUntil: null });
  const admin = await account(ctx, 'institution_admin', { institutionId: inst.id });
  const researcherAccount = await account(ctx, 'researcher', { researcherId: researcher.id });

  const client = await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/api-clients`, token: supervisor.token, payload: { name: `Sync ${tag}` } });
  if (client.statusCode !== 201) throw new Error(`api client: ${client.statusCode} ${client.body}`);
  const { id: apiClientUuid, clientId: apiClientId } = client.json<{ id: string; clientId: string }>();

  // A FLAGGED crossing (the reagent needs a quantity it is not given), so that an inspection can be recorded.
  const crossing = await ctx.request({
    method: 'POST',
    url: '/v1/crossings',
    token: officer.token,
    headers: { 'idempotency-key': `world-${tag}` },
    payload: {
      checkpoint: 'LMC',
      direction: letter === 'A' ? 'SZ_TO_HK' : 'HK_TO_SZ',
      traveller: { document: { kind: 'passport', number: passport } },
      items: [{ itemId: equipment.id }, { serialNumber: 'SN-NOT-REGISTERED-' + tag }],
    },
  });
  if (crossing.statusCode !== 201) throw new Error(`crossing: ${crossing.statusCode} ${crossing.body}`);

  return {
    tag,
    institutionId: inst.id,
    institutionName,
    registrationNumber,
    admin,
    researcherId: researcher.id,
    researcherName,
    passport,
    hkid,
    passportDocumentId,
    hkidDocumentId,
    researcherAccount,
    nomineeId: nominee.id,
    nomineeName,
    equipmentId: equipment.id,
    serialNumber,
    reagentId: reagent.id,
    submittedItemId: submitted.id,
    apiClientId,
    apiClientUuid,
    crossingId: crossing.json<{ id: string }>().id,
    secrets: [tag, researcher.email, nominee.email, passport, hkid, apiClientId],
  };
}

/** Two institutions, A and B, built the same way, plus a supervisor, an officer (LMC) and an auditor. */
export async function buildWorld(ctx: TestApp): Promise<World> {
  const supervisor = await account(ctx, 'supervisor');
  const officer = await account(ctx, 'officer', { checkpoint: 'LMC' });
  const auditor = await account(ctx, 'auditor');
  const a = await buildSide(ctx, supervisor, officer, 'A');
  const b = await buildSide(ctx, supervisor, officer, 'B');
  return { supervisor, officer, auditor, a, b };
}
