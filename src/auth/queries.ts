import { and, eq, isNull } from 'drizzle-orm';
import type { Conn } from '../db/client.js';
import { apiClients, users } from '../db/schema.js';

/** An account's status and role, or undefined when it no longer exists. */
export async function userStatus(conn: Conn, id: string): Promise<{ status: string; role: string } | undefined> {
  const [row] = await conn.select({ status: users.status, role: users.role }).from(users).where(eq(users.id, id)).limit(1);
  return row;
}

/** Whether an API client exists and is not revoked. */
export async function apiClientLive(conn: Conn, id: string): Promise<boolean> {
  const [row] = await conn
    .select({ id: apiClients.id })
    .from(apiClients)
    .where(and(eq(apiClients.id, id), isNull(apiClients.revokedAt)))
    .limit(1);
  return row !== undefined;
}
