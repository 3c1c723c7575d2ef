import { asc, eq, gt } from 'drizzle-orm';
import type { Conn } from '../../db/client.js';
import { checkpoints } from '../../db/schema.js';

export type CheckpointRow = typeof checkpoints.$inferSelect;

/** One page of control points by code, and one more row to tell whether another page follows. */
export async function listCheckpoints(conn: Conn, after: string | undefined, limit: number): Promise<CheckpointRow[]> {
  return conn
    .select()
    .from(checkpoints)
    .where(after === undefined ? undefined : gt(checkpoints.code, after))
    .orderBy(asc(checkpoints.code))
    .limit(limit + 1);
}

export async function findCheckpoint(conn: Conn, code: string): Promise<CheckpointRow | undefined> {
  const [row] = await conn.select().from(checkpoints).where(eq(checkpoints.code, code)).limit(1);
  return row;
}

export async function insertCheckpoint(
  conn: Conn,
  c: { code: string; name: string; nameZh: string; hetaoLane: boolean },
): Promise<CheckpointRow> {
  const [row] = await conn.insert(checkpoints).values({ code: c.code, nameEn: c.name, nameZh: c.nameZh, hetaoLane: c.hetaoLane }).returning();
  return row!;
}
