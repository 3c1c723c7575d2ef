import { and, eq } from 'drizzle-orm';
import type { Conn } from '../db/client.js';
import { checkpoints, institutions, items, researchers } from '../db/schema.js';

// The reads seed-demo makes to find what an earlier run already loaded.

export async function institutionByRegistration(conn: Conn, side: 'HK' | 'SZ', registrationNumber: string): Promise<{ id: string } | undefined> {
  const [found] = await conn
    .select({ id: institutions.id })
    .from(institutions)
    .where(and(eq(institutions.side, side), eq(institutions.registrationNumber, registrationNumber)))
    .limit(1);
  return found;
}

export async function researcherByName(
  conn: Conn,
  institutionId: string,
  fullName: string,
  dateOfBirth: string,
): Promise<{ id: string; status: string } | undefined> {
  const [found] = await conn
    .select({ id: researchers.id, status: researchers.status })
    .from(researchers)
    .where(and(eq(researchers.institutionId, institutionId), eq(researchers.fullName, fullName), eq(researchers.dateOfBirth, dateOfBirth)))
    .limit(1);
  return found;
}

export async function itemByName(conn: Conn, institutionId: string, name: string): Promise<{ id: string; status: string } | undefined> {
  const [found] = await conn
    .select({ id: items.id, status: items.status })
    .from(items)
    .where(and(eq(items.institutionId, institutionId), eq(items.name, name)))
    .limit(1);
  return found;
}

/** Every checkpoint's code and English name, in code order. */
export async function checkpointNames(conn: Conn): Promise<{ code: string; name: string }[]> {
  return conn.select({ code: checkpoints.code, name: checkpoints.nameEn }).from(checkpoints).orderBy(checkpoints.code);
}
