import { and, eq, isNull } from 'drizzle-orm';
import type { Conn } from '../../db/client.js';
import { apiClients, institutions, users } from '../../db/schema.js';

export async function userByUsername(conn: Conn, username: string) {
  const [user] = await conn.select().from(users).where(eq(users.username, username)).limit(1);
  return user;
}

/** A client that is not revoked, with its institution's status (a suspended institution's systems stop working). */
export async function liveApiClient(conn: Conn, clientId: string) {
  const [client] = await conn
    .select({
      id: apiClients.id,
      secretHash: apiClients.secretHash,
      institutionId: apiClients.institutionId,
      clientId: apiClients.clientId,
      institutionStatus: institutions.status,
    })
    .from(apiClients)
    .innerJoin(institutions, eq(institutions.id, apiClients.institutionId))
    .where(and(eq(apiClients.clientId, clientId), isNull(apiClients.revokedAt)))
    .limit(1);
  return client;
}
