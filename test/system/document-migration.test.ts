// Migration 0011 (document vetting) on a database that already holds researchers:
// the documents of vetted researchers are approved, those of the revoked revoked, the
// rest pending, and each carries its holder's institution. Run on the embedded Postgres
// (PGlite), applying the committed SQL files in order, exactly as the migrator does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import t from 'tap';
import { MIGRATIONS_FOLDER } from '../../src/db/client.js';

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
const tags = journal.entries.map((e) => e.tag);
const target = tags.indexOf('0011_document_vetting');

async function apply(db: PGlite, tag: string): Promise<void> {
  for (const statement of readFileSync(join(MIGRATIONS_FOLDER, `${tag}.sql`), 'utf8').split('--> statement-breakpoint')) {
    if (statement.trim()) await db.exec(statement);
  }
}

t.test('0011 marks the documents of vetted researchers approved, and fills their institution', async (t) => {
  t.ok(target > 0, '0011_document_vetting is in the journal');
  const db = await PGlite.create('memory://', { extensions: { pg_trgm } });
  t.teardown(() => db.close());
  for (const tag of tags.slice(0, target)) await apply(db, tag);

  await db.exec(`
    insert into institutions (id, name, side, kind, registration_number) values
      ('00000000-0000-7000-8000-000000000001', 'A', 'HK', 'university', 'A-1'),
      ('00000000-0000-7000-8000-000000000002', 'B', 'SZ', 'university', 'B-1');
    insert into researchers (id, institution_id, full_name, date_of_birth, nationality, email, status) values
      ('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-000000000001', 'APPROVED ONE', '1980-01-01', 'GBR', 'a@x.hk', 'approved'),
      ('00000000-0000-7000-8000-0000000000a2', '00000000-0000-7000-8000-000000000002', 'SUSPENDED ONE', '1980-01-01', 'GBR', 'b@x.hk', 'suspended'),
      ('00000000-0000-7000-8000-0000000000a3', '00000000-0000-7000-8000-000000000001', 'NOMINATED ONE', '1980-01-01', 'GBR', 'c@x.hk', 'nominated'),
      ('00000000-0000-7000-8000-0000000000a4', '00000000-0000-7000-8000-000000000002', 'REJECTED ONE', '1980-01-01', 'GBR', 'd@x.hk', 'rejected'),
      ('00000000-0000-7000-8000-0000000000a5', '00000000-0000-7000-8000-000000000001', 'REVOKED ONE', '1980-01-01', 'GBR', 'e@x.hk', 'revoked');
    insert into identity_documents (id, researcher_id, kind, number, issuing_country, country_key, expires_on)
      select ('00000000-0000-7000-8000-0000000000d' || n)::uuid, ('00000000-0000-7000-8000-0000000000a' || n)::uuid,
             'passport', 'P0000000' || n, 'GBR', 'GBR', '2040-01-01'
        from generate_series(1, 5) n;
  `);
  await apply(db, tags[target]!);

  const { rows } = await db.query<{ full_name: string; status: string; institution_id: string }>(`
    select r.full_name, d.status, d.institution_id from identity_documents d join researchers r on r.id = d.researcher_id order by d.id`);
  t.same(
    rows.map((r) => [r.full_name, r.status]),
    [
      ['APPROVED ONE', 'approved'],
      ['SUSPENDED ONE', 'approved'],
      ['NOMINATED ONE', 'pending'],
      ['REJECTED ONE', 'pending'],
      ['REVOKED ONE', 'revoked'],
    ],
  );
  t.same(
    rows.map((r) => r.institution_id.slice(-1)),
    ['1', '2', '1', '2', '1'],
    'each document carries its holder’s institution',
  );

  // A document's institution is its holder's: the foreign key refuses another.
  await t.rejects(
    db.exec(`insert into identity_documents (id, researcher_id, institution_id, kind, number, issuing_country, country_key, expires_on)
      values ('00000000-0000-7000-8000-0000000000e1', '00000000-0000-7000-8000-0000000000a2', '00000000-0000-7000-8000-000000000001', 'hkid', 'A1234563', 'HKG', '', '2040-01-01')`),
    /identity_documents_holder_fk/,
  );

  // One approved holder per document; one holder per institution.
  await t.rejects(
    db.exec(`insert into identity_documents (id, researcher_id, institution_id, kind, number, issuing_country, country_key, expires_on, status)
      values ('00000000-0000-7000-8000-0000000000e2', '00000000-0000-7000-8000-0000000000a2', '00000000-0000-7000-8000-000000000002', 'passport', 'P00000001', 'GBR', 'GBR', '2040-01-01', 'approved')`),
    /identity_documents_approved_uq/,
  );
  await t.rejects(
    db.exec(`insert into identity_documents (id, researcher_id, institution_id, kind, number, issuing_country, country_key, expires_on)
      values ('00000000-0000-7000-8000-0000000000e3', '00000000-0000-7000-8000-0000000000a3', '00000000-0000-7000-8000-000000000001', 'passport', 'P00000001', 'GBR', 'GBR', '2040-01-01')`),
    /identity_documents_institution_uq/,
  );
  const { rows: pending } = await db.query<{ status: string }>(`insert into identity_documents (id, researcher_id, institution_id, kind, number, issuing_country, country_key, expires_on)
    values ('00000000-0000-7000-8000-0000000000e4', '00000000-0000-7000-8000-0000000000a4', '00000000-0000-7000-8000-000000000002', 'passport', 'P00000001', 'GBR', 'GBR', '2040-01-01') returning status`);
  t.same(pending, [{ status: 'pending' }], 'a holder at another institution is stored, pending by default');
});
