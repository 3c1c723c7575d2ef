import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/client.js';
import { identityDocuments, itemCustodians, items } from '../../src/db/schema.js';
import { uuidv7 } from '../../src/lib/ids.js';
import { insertInstitution, insertResearcher } from './records.js';

/** A whitelisted traveller with one passport, approved through next year. */
export async function insertTraveller(
  db: Db,
  opts: {
    institutionId?: string;
    side?: 'SZ' | 'HK';
    status?: 'nominated' | 'approved' | 'rejected' | 'suspended' | 'revoked';
    validFrom?: string | null;
    validUntil?: string | null;
    passport?: string;
    passportCountry?: string;
    passportExpires?: string;
    dateOfBirth?: string;
    nationality?: string;
  } = {},
) {
  const institutionId = opts.institutionId ?? (await insertInstitution(db, { side: opts.side ?? 'HK' })).id;
  const researcher = await insertResearcher(db, {
    institutionId,
    status: opts.status ?? 'approved',
    validFrom: opts.validFrom === undefined ? '2020-01-01' : opts.validFrom,
    validUntil: opts.validUntil === undefined ? '2099-12-31' : opts.validUntil,
    dateOfBirth: opts.dateOfBirth ?? '1985-04-12',
    nationality: opts.nationality ?? 'CHN',
  });
  const passport = opts.passport ?? `P${randomBytes(4).toString('hex').toUpperCase().slice(0, 8)}`;
  const country = opts.passportCountry ?? 'CHN';
  await db.insert(identityDocuments).values({
    id: uuidv7(),
    researcherId: researcher.id,
    institutionId,
    // Vetted with the researcher, as approval does.
    status: ['nominated', 'rejected'].includes(researcher.status) ? 'pending' : researcher.status === 'revoked' ? 'revoked' : 'approved',
    kind: 'passport',
    number: passport,
    issuingCountry: country,
    countryKey: country,
    expiresOn: opts.passportExpires ?? '2099-01-01',
  });
  return { researcher, institutionId, passport, country };
}

type ItemInsert = typeof items.$inferInsert;

export async function insertItem(
  db: Db,
  institutionId: string,
  custodianIds: string[],
  values: Partial<ItemInsert> & { category: ItemInsert['category'] },
) {
  const base: ItemInsert = {
    id: uuidv7(),
    institutionId,
    name: `${values.category} ${randomBytes(2).toString('hex')}`,
    homeSide: 'HK',
    status: 'approved',
    validUntil: '2099-12-31',
    ...values,
  } as ItemInsert;
  if (base.category === 'equipment') {
    base.serialNumber ??= `SN-${randomBytes(4).toString("hex").toUpperCase()}`;
    base.currentSide ??= base.homeSide;
    base.maxDaysAbroad ??= 30;
    base.hsCode ??= '847130';
    base.manufacturer ??= 'Dell';
    base.model ??= 'XPS 13';
    base.valueAmount ??= 12000;
    base.valueCurrency ??= 'HKD';
  } else if (base.category === 'reagent' || base.category === 'biological_sample') {
    base.quantity ??= 100;
    base.remainingQuantity ??= base.quantity;
    base.unit ??= 'mL';
    if (base.category === 'reagent') base.casNumber ??= '64-17-5';
    else base.biosafetyLevel ??= 1;
  } else {
    base.sha256 ??= randomBytes(32).toString('hex');
    base.sizeBytes ??= 1024;
    base.classification ??= 'internal';
  }
  const [row] = await db.insert(items).values(base).returning();
  if (custodianIds.length) {
    await db.insert(itemCustodians).values(custodianIds.map((researcherId) => ({ itemId: row!.id, researcherId })));
  }
  return row!;
}
