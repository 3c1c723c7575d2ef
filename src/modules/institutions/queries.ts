import { and, asc, eq, gt, ne } from 'drizzle-orm';
import type { Conn } from '../../db/client.js';
import { institutions } from '../../db/schema.js';
import { ConflictError, NotFoundError } from '../../errors.js';

export type InstitutionRow = typeof institutions.$inferSelect;

export function presentInstitution(r: InstitutionRow) {
  return {
    id: r.id,
    name: r.name,
    nameZh: r.nameZh,
    side: r.side,
    kind: r.kind,
    registrationNumber: r.registrationNumber,
    status: r.status,
    statusReason: r.statusReason,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The audit view: the stored state with its version. */
export function auditInstitution(r: InstitutionRow) {
  return { ...presentInstitution(r), version: r.version };
}

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
