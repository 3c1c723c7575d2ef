import { and, asc, eq, gt } from 'drizzle-orm';
import { hashSecret } from '../../auth/passwords.js';
import type { Principal } from '../../auth/principal.js';
import type { Conn, Tx } from '../../db/client.js';
import { apiClients, checkpoints, institutions, researchers, type Role, users } from '../../db/schema.js';
import { ConflictError, ValidationError } from '../../errors.js';
import { uuidv7 } from '../../lib/ids.js';

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  institutionId?: string | undefined;
  researcherId?: string | undefined;
  checkpoint?: string | undefined;
}

export type UserRow = typeof users.$inferSelect;
export type ApiClientRow = typeof apiClients.$inferSelect;

export const USERNAME_RE = /^[a-z0-9][a-z0-9._@-]{2,63}$/;

/**
 * Checks the scope the role needs (and refuses scope it does not take), then
 * creates the account with an argon2id hash of the password.
 */
export async function createUser(conn: Conn, input: NewUser): Promise<UserRow> {
  const username = input.username.trim().toLowerCase();
  const needs: Record<Role, 'institutionId' | 'researcherId' | 'checkpoint' | null> = {
    supervisor: null,
    auditor: null,
    officer: 'checkpoint',
    institution_admin: 'institutionId',
    researcher: 'researcherId',
  };
  const need = needs[input.role];
  const errors: { path: string; message: string }[] = [];
  for (const field of ['institutionId', 'researcherId', 'checkpoint'] as const) {
    const given = input[field] !== undefined && input[field] !== null;
    if (field === need && !given) errors.push({ path: field, message: `is required for role ${input.role}` });
    if (field !== need && given && !(field === 'institutionId' && input.role === 'researcher')) {
      errors.push({ path: field, message: `is not taken by role ${input.role}` });
    }
  }
  if (errors.length) throw new ValidationError(errors);

  let institutionId: string | null = null;
  let researcherId: string | null = null;
  let checkpoint: string | null = null;
  if (input.role === 'institution_admin') {
    const [inst] = await conn.select({ id: institutions.id }).from(institutions).where(eq(institutions.id, input.institutionId!)).limit(1);
    if (!inst) throw new ValidationError([{ path: 'institutionId', message: 'no such institution' }]);
    institutionId = inst.id;
  } else if (input.role === 'researcher') {
    const [r] = await conn
      .select({ id: researchers.id, institutionId: researchers.institutionId })
      .from(researchers)
      .where(eq(researchers.id, input.researcherId!))
      .limit(1);
    if (!r) throw new ValidationError([{ path: 'researcherId', message: 'no such researcher' }]);
    if (input.institutionId && input.institutionId !== r.institutionId) {
      throw new ValidationError([{ path: 'institutionId', message: 'is not the institution of that researcher' }]);
    }
    researcherId = r.id;
    institutionId = r.institutionId;
  } else if (input.role === 'officer') {
    const [c] = await conn.select({ code: checkpoints.code }).from(checkpoints).where(eq(checkpoints.code, input.checkpoint!)).limit(1);
    if (!c) {
      const known = await conn.select({ code: checkpoints.code, nameEn: checkpoints.nameEn }).from(checkpoints).orderBy(checkpoints.code);
      const list = known.map((k) => `${k.code} (${k.nameEn})`).join(', ');
      throw new ValidationError([
        { path: 'checkpoint', message: known.length > 0 ? `is not a checkpoint code; the checkpoints are: ${list}` : 'is not a checkpoint code; no checkpoint exists yet (POST /v1/checkpoints)' },
      ]);
    }
    checkpoint = c.code;
  }

  const [taken] = await conn.select({ id: users.id }).from(users).where(eq(users.username, username)).limit(1);
  if (taken) throw new ConflictError(`The username ${username} is taken`, 'USERNAME_TAKEN');

  const [row] = await conn
    .insert(users)
    .values({
      id: uuidv7(),
      username,
      passwordHash: await hashSecret(input.password),
      role: input.role,
      institutionId,
      researcherId,
      checkpoint,
    })
    .returning();
  return row!;
}

/** The principal a user's token carries: role and the scope the role needs. */
export function principalOfUser(user: UserRow): Principal {
  return {
    sub: user.id,
    kind: 'user',
    role: user.role,
    username: user.username,
    ...(user.institutionId ? { institutionId: user.institutionId } : {}),
    ...(user.researcherId ? { researcherId: user.researcherId } : {}),
    ...(user.checkpoint ? { checkpoint: user.checkpoint } : {}),
  };
}

/** The institution of a researcher, or undefined when there is no such researcher. */
export async function institutionOfResearcher(conn: Conn, researcherId: string): Promise<string | undefined> {
  const [r] = await conn.select({ institutionId: researchers.institutionId }).from(researchers).where(eq(researchers.id, researcherId)).limit(1);
  return r?.institutionId;
}

/** One page of accounts in id order (limit + 1 rows, to tell whether there is a next page). */
export async function listUsers(conn: Conn, o: { after?: string | undefined; role?: Role | undefined; limit: number }): Promise<UserRow[]> {
  return conn
    .select()
    .from(users)
    .where(and(o.after ? gt(users.id, o.after) : undefined, o.role ? eq(users.role, o.role) : undefined))
    .orderBy(asc(users.id))
    .limit(o.limit + 1);
}

export async function findUser(conn: Conn, id: string, opts: { lock?: boolean } = {}): Promise<UserRow | undefined> {
  const query = conn.select().from(users).where(eq(users.id, id));
  const [row] = opts.lock ? await query.for('update').limit(1) : await query.limit(1);
  return row;
}

export async function setUserStatus(tx: Tx, id: string, status: UserRow['status'], now: Date): Promise<UserRow> {
  const [row] = await tx.update(users).set({ status, updatedAt: now }).where(eq(users.id, id)).returning();
  return row!;
}

export async function institutionExists(conn: Conn, id: string): Promise<boolean> {
  const [inst] = await conn.select({ id: institutions.id }).from(institutions).where(eq(institutions.id, id)).limit(1);
  return inst !== undefined;
}

/** A supervisor account, if any exists (bootstrap refuses a second; the server warns when there is none). */
export async function aSupervisor(conn: Conn): Promise<{ id: string } | undefined> {
  const [row] = await conn.select({ id: users.id }).from(users).where(eq(users.role, 'supervisor')).limit(1);
  return row;
}

export async function insertApiClient(tx: Tx, values: typeof apiClients.$inferInsert): Promise<ApiClientRow> {
  const [row] = await tx.insert(apiClients).values(values).returning();
  return row!;
}

/** One page of an institution's API clients in id order (limit + 1 rows). */
export async function listApiClients(conn: Conn, institutionId: string, o: { after?: string | undefined; limit: number }): Promise<ApiClientRow[]> {
  return conn
    .select()
    .from(apiClients)
    .where(and(eq(apiClients.institutionId, institutionId), o.after ? gt(apiClients.id, o.after) : undefined))
    .orderBy(asc(apiClients.id))
    .limit(o.limit + 1);
}

/** An institution's API client by its client_id, its row locked FOR UPDATE. */
export async function lockApiClient(tx: Tx, institutionId: string, clientId: string): Promise<ApiClientRow | undefined> {
  const [c] = await tx
    .select()
    .from(apiClients)
    .where(and(eq(apiClients.institutionId, institutionId), eq(apiClients.clientId, clientId)))
    .for('update')
    .limit(1);
  return c;
}

export async function revokeApiClient(tx: Tx, id: string, now: Date): Promise<ApiClientRow> {
  const [row] = await tx.update(apiClients).set({ revokedAt: now }).where(eq(apiClients.id, id)).returning();
  return row!;
}
