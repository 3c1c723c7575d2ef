import { and, eq, sql } from 'drizzle-orm';
import type { Conn } from '../../db/client.js';
import { identityDocuments, researchers } from '../../db/schema.js';
import { uuidv7 } from '../../lib/ids.js';
import { documentRow } from './document-queries.js';
import type { DocumentRow, ResearcherRow } from './present.js';
import type { ResearcherInput } from './schemas.js';

/** Rows per bulk insert statement. */
const INSERT_CHUNK = 2000;

export async function findResearcher(conn: Conn, id: string, forUpdate = false): Promise<ResearcherRow | undefined> {
  const q = conn.select().from(researchers).where(eq(researchers.id, id)).limit(1);
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

/** Writes `changes` and the next version if the row is still at `version`; undefined when a writer got there first. */
export async function updateResearcher(
  conn: Conn,
  id: string,
  version: number,
  changes: Partial<ResearcherRow>,
  now: Date,
): Promise<ResearcherRow | undefined> {
  const [row] = await conn
    .update(researchers)
    .set({ ...changes, version: version + 1, updatedAt: now })
    .where(and(eq(researchers.id, id), eq(researchers.version, version)))
    .returning();
  return row;
}

/** A new version of a researcher whose documents changed (the caller holds its lock). */
export async function touchResearcher(conn: Conn, id: string, version: number, now: Date): Promise<ResearcherRow> {
  const [row] = await conn.update(researchers).set({ version: version + 1, updatedAt: now }).where(eq(researchers.id, id)).returning();
  return row!;
}

export interface CreatedResearcher {
  researcher: ResearcherRow;
  documents: DocumentRow[];
}

/**
 * Inserts nominated researchers and their documents with multi-row inserts in
 * chunks. The caller has validated everything and checked the documents are free.
 */
export async function insertResearchers(
  conn: Conn,
  institutionId: string,
  inputs: ResearcherInput[],
  now: Date,
  onProgress?: (done: number, total: number) => void,
): Promise<CreatedResearcher[]> {
  const created: CreatedResearcher[] = inputs.map((input) => {
    const id = uuidv7();
    const researcher: ResearcherRow = {
      id,
      institutionId,
      fullName: input.fullName,
      nameZh: input.nameZh ?? null,
      dateOfBirth: input.dateOfBirth,
      nationality: input.nationality,
      email: input.email,
      status: 'nominated',
      statusReason: null,
      validFrom: null,
      validUntil: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return { researcher, documents: input.documents.map((d) => documentRow(id, institutionId, d, now)) };
  });
  if (created.length === 1) {
    // One researcher (a nomination): plain inserts.
    await conn.insert(researchers).values(created[0]!.researcher);
    await conn.insert(identityDocuments).values(created[0]!.documents);
    onProgress?.(1, 1);
    return created;
  }
  // Bulk: chunks of rows, each sent as one jsonb parameter and expanded by
  // jsonb_to_recordset — clear of the 65,535-parameter cap of a statement, and far
  // cheaper to build and parse than 28,000 bind parameters.
  for (let i = 0; i < created.length; i += INSERT_CHUNK) {
    const chunk = created.slice(i, i + INSERT_CHUNK);
    const rs = chunk.map(({ researcher: r }) => ({
      id: r.id,
      institution_id: r.institutionId,
      full_name: r.fullName,
      name_zh: r.nameZh,
      date_of_birth: r.dateOfBirth,
      nationality: r.nationality,
      email: r.email,
    }));
    const at = now.toISOString();
    await conn.execute(sql`
      insert into researchers (id, institution_id, full_name, name_zh, date_of_birth, nationality, email, status, version, created_at, updated_at)
      select id, institution_id, full_name, name_zh, date_of_birth, nationality, email, 'nominated', 1, ${at}::timestamptz, ${at}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(rs)}::jsonb)
        as x(id uuid, institution_id uuid, full_name text, name_zh text, date_of_birth date, nationality text, email text)`);
    const ds = chunk.flatMap((c) =>
      c.documents.map((d) => ({
        id: d.id,
        researcher_id: d.researcherId,
        institution_id: d.institutionId,
        kind: d.kind,
        number: d.number,
        issuing_country: d.issuingCountry,
        country_key: d.countryKey,
        expires_on: d.expiresOn,
      })),
    );
    await conn.execute(sql`
      insert into identity_documents (id, researcher_id, institution_id, kind, number, issuing_country, country_key, expires_on, status, created_at)
      select id, researcher_id, institution_id, kind, number, issuing_country, country_key, expires_on, 'pending', ${at}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(ds)}::jsonb)
        as x(id uuid, researcher_id uuid, institution_id uuid, kind text, number text, issuing_country text, country_key text, expires_on date)`);
    onProgress?.(Math.min(i + INSERT_CHUNK, created.length), created.length);
  }
  return created;
}
