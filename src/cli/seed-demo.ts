import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { checkpoints, institutions, users } from '../db/schema.js';
import { computeHkidCheckCharacter, computePrcIdCheckCharacter } from '../documents/index.js';
import { createUser } from '../modules/users/queries.js';

/**
 * Loads a small, realistic demo through the real API (in-process, with every
 * validation and audit event): two institutions, one on each side; staff holding
 * each kind of identity document; items of each category; an officer per
 * checkpoint; and prints the logins.
 */

export const DEMO_PASSWORD = 'hetao-demo-password';
const MARKER_REGISTRATION = 'HK-DEMO-0001';

interface Out {
  out(line: string): void;
}

class DemoClient {
  constructor(
    private readonly app: FastifyInstance,
    private readonly token: string,
  ) {}

  async call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown): Promise<T> {
    const res = await this.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${this.token}` },
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
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

export async function seedDemo(config: Config, database: Database, io: Out): Promise<number> {
  if (config.env === 'production') {
    io.out('refused: seed-demo loads known passwords and is not for production');
    return 1;
  }
  const db = database.db;
  const [already] = await db.select({ id: institutions.id }).from(institutions).where(eq(institutions.registrationNumber, MARKER_REGISTRATION));
  if (already) {
    io.out('the demo is already loaded (institution HK-DEMO-0001 exists); logins below use the password ' + DEMO_PASSWORD);
    return 0;
  }

  const app = await buildApp({ config, database }, { logger: false });
  try {
    let [sup] = await db.select().from(users).where(eq(users.username, 'demo-supervisor')).limit(1);
    sup ??= await createUser(db, { username: 'demo-supervisor', password: DEMO_PASSWORD, role: 'supervisor' });
    const api = new DemoClient(app, app.issueToken({ sub: sup.id, kind: 'user', role: 'supervisor', username: sup.username }).token);
    const logins: [string, string, string][] = [['demo-supervisor', 'supervisor', 'everything']];
    const account = async (username: string, role: string, scope: Record<string, string>, note: string) => {
      await api.call('POST', '/v1/users', { username, password: DEMO_PASSWORD, role, ...scope });
      logins.push([username, role, note]);
    };

    // Institutions, one on each side of the boundary.
    const hk = await api.call<{ id: string }>('POST', '/v1/institutions', {
      name: 'Lok Ma Chau Loop Institute of Technology',
      nameZh: '落马洲河套科技学院',
      side: 'HK',
      kind: 'university',
      registrationNumber: MARKER_REGISTRATION,
    });
    const sz = await api.call<{ id: string }>('POST', '/v1/institutions', {
      name: 'Shenzhen Hetao Institute of Life Sciences',
      nameZh: '深圳河套生命科学研究院',
      side: 'SZ',
      kind: 'research_institute',
      registrationNumber: '91440300DEMO00001X',
    });

    // Staff: every kind of identity document appears at least once.
    const nominate = (institutionId: string, body: Record<string, unknown>) =>
      api.call<{ id: string }>('POST', `/v1/institutions/${institutionId}/researchers`, body);
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
    const smith = await nominate(hk.id, {
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
    const today = new Date().toISOString().slice(0, 10);
    const nextYear = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;
    for (const r of [chan, wong, smith, li, zhang]) {
      await api.call('POST', `/v1/researchers/${r.id}/approve`, { validFrom: today, validUntil: nextYear });
    }
    // One nominee still waiting for approval: a lookup shows TRAVELLER_NOT_APPROVED.
    await nominate(sz.id, {
      fullName: 'ZHAO LEI',
      nameZh: '赵磊',
      dateOfBirth: '1995-01-20',
      nationality: 'CHN',
      email: 'zhao.lei@hetao-ls.example.cn',
      documents: [{ kind: 'hk_macao_permit', number: 'C87654321', issuingCountry: 'CHN', expiresOn: '2034-01-01' }],
    });

    // Items of each category.
    const item = async (institutionId: string, body: Record<string, unknown>, approve = true) => {
      const created = await api.call<{ id: string }>('POST', `/v1/institutions/${institutionId}/items`, body);
      if (approve) await api.call('POST', `/v1/items/${created.id}/approve`, { validUntil: nextYear });
      return created;
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
    const cps = await db.select({ code: checkpoints.code, name: checkpoints.nameEn }).from(checkpoints).orderBy(checkpoints.code);
    for (const cp of cps) await account(`officer-${cp.code.toLowerCase().replace(/_/g, '-')}`, 'officer', { checkpoint: cp.code }, cp.name);

    io.out(`demo loaded; every account's password is: ${DEMO_PASSWORD}`);
    io.out('');
    for (const [u, role, note] of logins) io.out(`  ${u.padEnd(22)} ${role.padEnd(18)} ${note}`);
    io.out('');
    io.out('travellers: CHAN TAI MAN passport K01234567 (carries laptop LMCIT-LAP-0001), LI WEI permit C12345678');
    io.out('            (ethanol, plasmids, a personal-information extract), ZHANG XIAOMING passport E12345678, ZHAO LEI C87654321 (not approved)');
    return 0;
  } finally {
    await app.close();
  }
}
