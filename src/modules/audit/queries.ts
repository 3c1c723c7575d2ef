import { and, asc, desc, eq, gt, gte, inArray, lt, sql } from 'drizzle-orm';
import { type Conn, queryRows } from '../../db/client.js';
import { apiClients, auditEvents, users } from '../../db/schema.js';
import { AUDIT_ACTIONS } from './actions.js';

export type AuditEventRow = typeof auditEvents.$inferSelect;

export interface AuditListOptions {
  order: 'asc' | 'desc';
  limit: number;
  /** The seq of the last event of the previous page (in the list's order). */
  after?: number | undefined;
  action?: string | undefined;
  subject?: string | undefined;
  /** Exact actor values; an empty array matches nothing. */
  actors?: string[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLIENT_PREFIX = 'client:';

/**
 * One page of the log in seq order, ascending or descending. Each equality filter has
 * an index on (column, seq), which Postgres reads forwards or backwards: no sort.
 */
export async function listAuditEvents(conn: Conn, o: AuditListOptions): Promise<AuditEventRow[]> {
  if (o.actors !== undefined && o.actors.length === 0) return [];
  return conn
    .select()
    .from(auditEvents)
    .where(
      and(
        o.after !== undefined ? (o.order === 'desc' ? lt(auditEvents.seq, o.after) : gt(auditEvents.seq, o.after)) : undefined,
        o.action !== undefined ? eq(auditEvents.action, o.action) : undefined,
        o.subject !== undefined ? eq(auditEvents.subject, o.subject) : undefined,
        o.actors === undefined ? undefined : o.actors.length === 1 ? eq(auditEvents.actor, o.actors[0]!) : inArray(auditEvents.actor, o.actors),
        o.from !== undefined ? gte(auditEvents.at, o.from) : undefined,
        o.to !== undefined ? lt(auditEvents.at, o.to) : undefined,
      ),
    )
    .orderBy(o.order === 'desc' ? desc(auditEvents.seq) : asc(auditEvents.seq))
    .limit(o.limit + 1);
}

/**
 * The actor values that a username stands for: the user's id, or `client:<id>` of the
 * API client with that client_id. Empty when nobody has that name.
 */
export async function actorsOfUsername(conn: Conn, username: string): Promise<string[]> {
  const name = username.trim();
  const [user] = await conn.select({ id: users.id }).from(users).where(eq(users.username, name.toLowerCase())).limit(1);
  const [client] = await conn.select({ id: apiClients.id }).from(apiClients).where(eq(apiClients.clientId, name)).limit(1);
  return [...(user ? [user.id] : []), ...(client ? [`${CLIENT_PREFIX}${client.id}`] : [])];
}

/**
 * The name of each actor on a page: a user's username, an API client's client_id;
 * absent for the service's own actors (`cli`, `anonymous`, …).
 */
export async function usernamesOfActors(conn: Conn, actors: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const userIds = [...new Set(actors.filter((a) => UUID_RE.test(a)))];
  const clientIds = [
    ...new Set(actors.filter((a) => a.startsWith(CLIENT_PREFIX) && UUID_RE.test(a.slice(CLIENT_PREFIX.length))).map((a) => a.slice(CLIENT_PREFIX.length))),
  ];
  const [userRows, clientRows] = await Promise.all([
    userIds.length > 0 ? conn.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, userIds)) : [],
    clientIds.length > 0
      ? conn.select({ id: apiClients.id, clientId: apiClients.clientId }).from(apiClients).where(inArray(apiClients.id, clientIds))
      : [],
  ]);
  for (const u of userRows) names.set(u.id, u.username);
  for (const c of clientRows) names.set(`${CLIENT_PREFIX}${c.id}`, c.clientId);
  return names;
}

/** Whether the log holds an event with this action (one probe of the action index). */
export async function actionInLog(conn: Conn, action: string): Promise<boolean> {
  const [row] = await conn.select({ seq: auditEvents.seq }).from(auditEvents).where(eq(auditEvents.action, action)).limit(1);
  return row !== undefined;
}

/**
 * The actions the service writes, and any other in the log (a loose index scan of the
 * action index: one probe per distinct action, not a read of the log).
 */
export async function knownActions(conn: Conn): Promise<string[]> {
  const rows = await queryRows<{ action: string }>(
    conn,
    sql`with recursive a(action) as (
          (select action from audit_events order by action limit 1)
          union all
          select (select e.action from audit_events e where e.action > a.action order by e.action limit 1)
            from a where a.action is not null
        )
        select action from a where action is not null`,
  );
  return [...new Set<string>([...AUDIT_ACTIONS, ...rows.map((r) => r.action)])].sort();
}
