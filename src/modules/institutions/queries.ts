import { and, asc, eq, gt, ne } from 'drizzle-orm';
import type { Conn } from '../../db/client.js';
import { institutions } from '../../db/schema.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { uuidv7 } from '../../lib/ids.js';
import type { InstitutionRow } from './present.js';

export type { InstitutionRow };

export async function findInstitution(conn: Conn, id: string, forUpdate = false): Promise<InstitutionRow | undefined> {
  const q = conn.select().from(institutions).where(eq(institutions.id, id)).limit(1);
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function getInstitution(conn: Conn, id: string, forUpdate = false): Promise<InstitutionRow> {
  const row = await findInstitution(conn, id, forUpdate);
  if (!row) throw new NotFoundError('Institution');
  return row;
}

/** An institution that may nominate staff: it exists and is not suspended. */
export async function getActiveInstitution(conn: Conn, id: string): Promise<InstitutionRow> {
  const row = await getInstitution(conn, id);
  if (row.status !== 'active') {
    throw new ConflictError('The institution is suspended: it cannot nominate researchers until reinstated', 'INSTITUTION_SUSPENDED');
  }
  return row;
}

/** (side, registrationNumber) identifies an institution. */
export async function assertRegistrationFree(conn: Conn, side: 'SZ' | 'HK', registrationNumber: string, exceptId?: string): Promise<void> {
  const [taken] = await conn
    .select({ id: institutions.id })
    .from(institutions)
    .where(
      and(
        eq(institutions.side, side),
        eq(institutions.registrationNumber, registrationNumber),
        exceptId ? ne(institutions.id, exceptId) : undefined,
      ),
    )
    .limit(1);
  if (taken) throw registrationConflict(side);
}

export function registrationConflict(side: string): ConflictError {
  return new ConflictError(
    `An institution with this registration number is already registered on the ${side} side`,
    'INSTITUTION_ALREADY_REGISTERED',
    [{ path: 'registrationNumber', message: `is already registered on the ${side} side` }],
  );
}

export interface InstitutionFilter {
  side?: 'SZ' | 'HK' | undefined;
  status?: InstitutionRow['status'] | undefined;
  kind?: InstitutionRow['kind'] | undefined;
  /** Only this institution (an institution admin's own). */
  onlyId?: string | undefined;
  after?: string | undefined;
  limit: number;
}

export async function listInstitutions(conn: Conn, f: InstitutionFilter): Promise<InstitutionRow[]> {
  return conn
    .select()
    .from(institutions)
    .where(
      and(
        f.onlyId !== undefined ? eq(institutions.id, f.onlyId) : undefined,
        f.side ? eq(institutions.side, f.side) : undefined,
        f.status ? eq(institutions.status, f.status) : undefined,
        f.kind ? eq(institutions.kind, f.kind) : undefined,
        f.after !== undefined ? gt(institutions.id, f.after) : undefined,
      ),
    )
    .orderBy(asc(institutions.id))
    .limit(f.limit + 1);
}

export interface NewInstitution {
  name: string;
  nameZh?: string | undefined;
  side: InstitutionRow['side'];
  kind: InstitutionRow['kind'];
  registrationNumber: string;
}

export async function insertInstitution(conn: Conn, body: NewInstitution, now: Date): Promise<InstitutionRow> {
  const [row] = await conn
    .insert(institutions)
    .values({
      id: uuidv7(),
      name: body.name,
      nameZh: body.nameZh ?? null,
      side: body.side,
      kind: body.kind,
      registrationNumber: body.registrationNumber,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return row!;
}

/** Writes `changes` and the next version if the row is still at `version`; undefined when a writer got there first. */
export async function updateInstitution(
  conn: Conn,
  id: string,
  version: number,
  changes: Partial<InstitutionRow>,
  now: Date,
): Promise<InstitutionRow | undefined> {
  const [row] = await conn
    .update(institutions)
    .set({ ...changes, version: version + 1, updatedAt: now })
    .where(and(eq(institutions.id, id), eq(institutions.version, version)))
    .returning();
  return row;
}
