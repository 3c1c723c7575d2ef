import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { appendAudit } from '../audit/chain.js';
import { verifySecret } from '../auth/passwords.js';
import type { Config } from '../config.js';
import type { Database, Db } from '../db/client.js';
import type { Role } from '../db/schema.js';
import { computeHkidCheckCharacter, computePrcIdCheckCharacter } from '../domain/documents/index.js';
import { userByUsername } from '../modules/auth/queries.js';
import { createUser, type UserRow } from '../modules/users/queries.js';
import { checkpointNames, institutionByRegistration, itemByName, researcherByName } from './queries.js';

/**
 * Loads a small, realistic demo through the real API (in-process, with every
 * validation and audit event): two institutions, one on each side; staff holding
 * each kind of identity document; items of each category; an officer per
 * checkpoint; and prints the logins.
 *
 * Every step first looks for what it would create (institutions by registration,
 * staff by name and birth date, items by name, accounts by username) and creates
 * only what is missing: a run that stopped anywhere is completed by the next, and
 * every run prints the same logins. An account whose username is taken by someone
 * else's account is named, not fatal.
 */

export const DEMO_PASSWORD = 'hetao-demo-password';
const SUPERVISOR = 'demo-supervisor';

interface Out {
  out(line: string): void;
  err(line: string): void;
}

/** An API refusal, with the problem's own words. */
export class DemoApiError extends Error {
  constructor(
    readonly status: number,
    readonly what: string,
    readonly problem: { code?: string; detail?: string; errors?: { path: string; message: string }[] },
  ) {
    const fields = (problem.errors ?? []).map((e) => `${e.path} ${e.message}`).join('; ');
    super(`${what} was refused (${status}${problem.code ? ` ${problem.code}` : ''}): ${problem.detail ?? ''}${fields ? ` [${fields}]` : ''}`);
    this.name = 'DemoApiError';
  }
}

class DemoClient {
  constructor(
    private readonly app: FastifyInstance,
    private readonly token: string,
  ) {}

  async call<T = Record<string, unknown>>(what: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<T> {
    const res = await this.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${this.token}` },
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
    if (res.statusCode >= 300) {
      let problem: DemoApiError['problem'];
      try {
        problem = res.json();
      } catch {
        problem = { detail: res.body.slice(0, 300) };
      }
      throw new DemoApiError(res.statusCode, what, problem);
    }
    return res.json<T>();
  }
}

function prcId(region: string, birth: string, seq: string): string {
  const body = `${region}${birth.replace(/-/g, '')}${seq}`;
  return body + computePrcIdCheckCharacter(body);
}

function hkid(prefix: string, digits: string): string {
  return `${prefix}${digits}${computeHkidCheckCharacter(prefix + digits)}`;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');


interface Login {
  username: string;
  role: Role;
  note: string;
}

interface Refused {
  username: string;
  reason: string;
}

/** Whether an existing account is the demo's own: same role and scope, active, with the demo password. */
async function demoAccountProblem(
  row: UserRow,
  role: Role,
  scope: { institutionId?: string; researcherId?: string; checkpoint?: string },
): Promise<string | undefined> {
  const scopeOf = (r: { institutionId?: string | null; researcherId?: string | null; checkpoint?: string | null }) =>
    `${r.institutionId ?? ''}/${r.researcherId ?? ''}/${r.checkpoint ?? ''}`;
  // A researcher account's institution follows from its researcher.
  const wanted = role === 'researcher' ? { researcherId: scope.researcherId } : scope;
  const has = role === 'researcher' ? { researcherId: row.researcherId } : row;
  if (row.role !== role || scopeOf(has) !== scopeOf(wanted)) {
    return `the username is taken by an account that is not the demo's (role ${row.role}${row.checkpoint ? `, checkpoint ${row.checkpoint}` : ''})`;
  }
  if (row.status !== 'active') return 'the demo account exists but is disabled';
  if (!(await verifySecret(row.passwordHash, DEMO_PASSWORD))) return "the demo account exists but its password is no longer the demo's";
  return undefined;
}

/** The demo supervisor, created (with its audit event) when missing; the API calls are made in its name. */
async function demoSupervisor(db: Db): Promise<{ row: UserRow } | { problem: string }> {
  const existing = await userByUsername(db, SUPERVISOR);
  if (existing) {
    if (existing.role !== 'supervisor' || existing.status !== 'active') {
      return {
        problem:
          `seed-demo makes its changes as ${SUPERVISOR}, and that username is taken by ${existing.role === 'supervisor' ? 'a disabled supervisor account' : `an account with role ${existing.role}`}. ` +
          'Rename or remove that account, or load the demo into another DATA_DIR or database.',
      };
    }
    return { row: existing };
  }
  const row = await db.transaction(async (tx) => {
    const user = await createUser(tx, { username: SUPERVISOR, password: DEMO_PASSWORD, role: 'supervisor' });
    await appendAudit(tx, {
      actor: 'cli',
      role: 'system',
      action: 'user.create',
      subject: `user:${user.id}`,
      data: { after: { id: user.id, username: user.username, role: user.role }, via: 'seed-demo' },
    });
    return user;
  });
  return { row };
}

export async function seedDemo(config: Config, database: Database, io: Out): Promise<number> {
  if (config.env === 'production') {
    io.err('seed-demo: refused: it loads known passwords and is not for production (NODE_ENV=production)');
    return 1;
  }
  const db = database.db;
  const sup = await demoSupervisor(db);
  if ('problem' in sup) {
    io.err(`seed-demo: ${sup.problem}`);
    return 1;
  }

  const app = await buildApp({ config, database }, { logger: false });
  try {
    const api = new DemoClient(app, app.issueToken({ sub: sup.row.id, kind: 'user', role: 'supervisor', username: sup.row.username }).token);
    const logins: Login[] = [];
    const refused: Refused[] = [];
    const supProblem = await demoAccountProblem(sup.row, 'supervisor', {});
    if (supProblem) refused.push({ username: SUPERVISOR, reason: supProblem });
    else logins.push({ username: SUPERVISOR, role: 'supervisor', note: 'everything' });

    const account = async (username: string, role: Role, scope: { institutionId?: string; researcherId?: string; checkpoint?: string }, note: string) => {
      const existing = await userByUsername(db, username);
      let problem: string | undefined;
      if (existing) {
        problem = await demoAccountProblem(existing, role, scope);
      } else {
        try {
          await api.call(`the account ${username}`, 'POST', '/v1/users', { username, password: DEMO_PASSWORD, role, ...scope });
        } catch (err) {
          if (!(err instanceof DemoApiError)) throw err;
          problem = err.message;
        }
      }
      if (problem) refused.push({ username, reason: problem });
      else logins.push({ username, role, note });
    };

    // Institutions, one on each side of the boundary.
    const institution = async (body: { name: string; nameZh: string; side: 'HK' | 'SZ'; kind: string; registrationNumber: string }) => {
      const found = await institutionByRegistration(db, body.side, body.registrationNumber);
      return found ?? api.call<{ id: string }>(`the institution ${body.name}`, 'POST', '/v1/institutions', body);
    };
    const hk = await institution({
      name: 'Lok Ma Chau Loop Institute of Technology',
      nameZh: '落马洲河套科技学院',
      side: 'HK',
      kind: 'university',
      registrationNumber: 'HK-DEMO-0001',
    });
    const sz = await institution({
      name: 'Shenzhen Hetao Institute of Life Sciences',
      nameZh: '深圳河套生命科学研究院',
      side: 'SZ',
      kind: 'research_institute',
      registrationNumber: '91440300DEMO00001X',
    });

    // Staff: every kind of identity document appears at least once; all but one approved.
    const today = new Date().toISOString().slice(0, 10);
    const nextYear = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;
    const nominate = async (institutionId: string, body: { fullName: string; dateOfBirth: string } & Record<string, unknown>, approve = true) => {
      const found = await researcherByName(db, institutionId, body.fullName, body.dateOfBirth);
      const r = found ?? { ...(await api.call<{ id: string }>(`the nomination of ${body.fullName}`, 'POST', `/v1/institutions/${institutionId}/researchers`, body)), status: 'nominated' };
      if (approve && r.status === 'nominated') {
        await api.call(`the approval of ${body.fullName}`, 'POST', `/v1/researchers/${r.id}/approve`, { validFrom: today, validUntil: nextYear });
      }
      return r;
    };
    const chan = await nominate(hk.id, {
      fullName: 'CHAN TAI MAN',
      nameZh: '陳大文',
      dateOfBirth: '1985-04-12',
      nationality: 'CHN',
      email: 'tm.chan@lmcit.example.hk',
      documents: [
        { kind: 'hkid', number: hkid('A', '123456'), issuingCountry: 'CHN', expiresOn: '2035-01-01' },
        { kind: 'passport', number: 'K01234567', issuingCountry: 'CHN', expiresOn: '2031-06-30' },
        { kind: 'home_return_permit', number: 'H01234567', issuingCountry: 'CHN', expiresOn: '2032-03-31' },
      ],
    });
    const wong = await nominate(hk.id, {
      fullName: 'WONG MEI LING',
      nameZh: '黃美玲',
      dateOfBirth: '1991-09-23',
      nationality: 'CHN',
      email: 'ml.wong@lmcit.example.hk',
      documents: [{ kind: 'home_return_permit', number: 'H87654321', issuingCountry: 'CHN', expiresOn: '2030-12-31' }],
    });
    await nominate(hk.id, {
      fullName: 'SMITH JOHN',
      dateOfBirth: '1979-02-03',
      nationality: 'GBR',
      email: 'j.smith@lmcit.example.hk',
      documents: [{ kind: 'passport', number: '533401372', issuingCountry: 'GBR', expiresOn: '2030-05-17' }],
    });
    const li = await nominate(sz.id, {
      fullName: 'LI WEI',
      nameZh: '李伟',
      dateOfBirth: '1990-03-07',
      nationality: 'CHN',
      email: 'li.wei@hetao-ls.example.cn',
      documents: [
        { kind: 'prc_id', number: prcId('440304', '1990-03-07', '123'), issuingCountry: 'CHN', expiresOn: '2036-08-01' },
        { kind: 'hk_macao_permit', number: 'C12345678', issuingCountry: 'CHN', expiresOn: '2033-02-28' },
      ],
    });
    const zhang = await nominate(sz.id, {
      fullName: 'ZHANG XIAOMING',
      nameZh: '张晓明',
      dateOfBirth: '1988-11-15',
      nationality: 'CHN',
      email: 'xm.zhang@hetao-ls.example.cn',
      documents: [
        { kind: 'passport', number: 'E12345678', issuingCountry: 'CHN', expiresOn: '2029-10-09' },
        { kind: 'hk_macao_permit', number: 'CA1234567', issuingCountry: 'CHN', expiresOn: '2031-07-19' },
      ],
    });
    // One nominee still waiting for approval: a lookup shows TRAVELLER_NOT_APPROVED.
    await nominate(
      sz.id,
      {
        fullName: 'ZHAO LEI',
        nameZh: '赵磊',
        dateOfBirth: '1995-01-20',
        nationality: 'CHN',
        email: 'zhao.lei@hetao-ls.example.cn',
        documents: [{ kind: 'hk_macao_permit', number: 'C87654321', issuingCountry: 'CHN', expiresOn: '2034-01-01' }],
      },
      false,
    );

    // Items of each category.
    const item = async (institutionId: string, body: { category: string; name: string } & Record<string, unknown>, approve = true) => {
      const found = await itemByName(db, institutionId, body.name);
      const created = found ?? (await api.call<{ id: string; status: string }>(`the item ${body.name}`, 'POST', `/v1/institutions/${institutionId}/items`, body));
      if (approve && (created.status === 'submitted' || created.status === 'endorsed')) {
        await api.call(`the approval of the item ${body.name}`, 'POST', `/v1/items/${created.id}/approve`, { validUntil: nextYear });
      }
    };
    await item(hk.id, {
      category: 'equipment',
      name: 'Dell XPS 13 laptop',
      homeSide: 'HK',
      custodianIds: [chan.id],
      serialNumber: 'LMCIT-LAP-0001',
      manufacturer: 'Dell',
      model: 'XPS 13 9340',
      hsCode: '847130',
      valueAmount: 14999,
      valueCurrency: 'HKD',
      maxDaysAbroad: 14,
    });
    await item(hk.id, {
      category: 'data',
      name: 'Single-cell sequencing run 42',
      homeSide: 'HK',
      custodianIds: [chan.id, wong.id],
      sha256: sha('single-cell run 42'),
      sizeBytes: 53_687_091_200,
      classification: 'internal',
    });
    await item(sz.id, {
      category: 'reagent',
      name: 'Ethanol, absolute',
      homeSide: 'SZ',
      custodianIds: [li.id],
      quantity: 2000,
      unit: 'mL',
      casNumber: '64-17-5',
      hazardClass: '3',
      hsCode: '220710',
    });
    await item(sz.id, {
      category: 'biological_sample',
      name: 'Plasmid DNA, E. coli DH5α',
      homeSide: 'SZ',
      custodianIds: [li.id],
      quantity: 20,
      unit: 'vials',
      biosafetyLevel: 2,
      permitReference: 'SZ-BIO-2026-0042',
    });
    await item(sz.id, {
      category: 'data',
      name: 'Clinical cohort extract (personal information)',
      homeSide: 'SZ',
      custodianIds: [li.id],
      sha256: sha('cohort extract v3'),
      sizeBytes: 1_073_741_824,
      classification: 'personal_information',
    });
    await item(sz.id, {
      category: 'equipment',
      name: 'Portable mass spectrometer',
      homeSide: 'SZ',
      custodianIds: [zhang.id],
      serialNumber: 'HTLS-MS-0007',
      manufacturer: 'Thermo Fisher',
      model: 'Orbitrap Exploris MX',
      hsCode: '9027810000',
      valueAmount: 1250000,
      valueCurrency: 'CNY',
      maxDaysAbroad: 30,
    });
    await item(
      sz.id,
      {
        category: 'equipment',
        name: 'Oscilloscope (awaiting approval)',
        homeSide: 'SZ',
        custodianIds: [zhang.id],
        serialNumber: 'HTLS-OSC-0003',
        manufacturer: 'Rigol',
        model: 'MSO8204',
        hsCode: '903020',
        valueAmount: 98000,
        valueCurrency: 'CNY',
      },
      false,
    );

    // Accounts.
    await account('demo-auditor', 'auditor', {}, 'reads and verifies the audit log');
    await account('hk-admin', 'institution_admin', { institutionId: hk.id }, 'Lok Ma Chau Loop Institute of Technology');
    await account('sz-admin', 'institution_admin', { institutionId: sz.id }, 'Shenzhen Hetao Institute of Life Sciences');
    await account('chan.taiman', 'researcher', { researcherId: chan.id }, 'CHAN TAI MAN 陳大文 (HK)');
    await account('li.wei', 'researcher', { researcherId: li.id }, 'LI WEI 李伟 (SZ)');
    const cps = await checkpointNames(db);
    for (const cp of cps) await account(`officer-${cp.code.toLowerCase().replace(/_/g, '-')}`, 'officer', { checkpoint: cp.code }, cp.name);

    io.out(`demo ready; every account below signs in with the password: ${DEMO_PASSWORD}`);
    io.out('');
    for (const l of logins) io.out(`  ${l.username.padEnd(22)} ${l.role.padEnd(18)} ${l.note}`);
    io.out('');
    io.out('travellers: CHAN TAI MAN passport K01234567 (carries laptop LMCIT-LAP-0001), LI WEI permit C12345678');
    io.out('            (ethanol, plasmids, a personal-information extract), ZHANG XIAOMING passport E12345678, ZHAO LEI C87654321 (not approved)');
    if (refused.length > 0) {
      io.out('');
      io.out(`not available (${refused.length}): the rest of the demo works without ${refused.length === 1 ? 'it' : 'them'}`);
      for (const r of refused) io.out(`  ${r.username.padEnd(22)} ${r.reason}`);
    }
    return 0;
  } finally {
    await app.close();
  }
}
