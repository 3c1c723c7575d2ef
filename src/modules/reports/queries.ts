import { sql } from 'drizzle-orm';
import { type Conn, queryRows } from '../../db/client.js';

export interface OverdueRow {
  id: string;
  name: string;
  serial_number: string | null;
  institution_id: string;
  institution_name: string;
  home_side: 'SZ' | 'HK';
  current_side: 'SZ' | 'HK';
  return_by: Date | string;
  custodians: { id: string; fullName: string; nameZh: string | null }[] | string;
}

/** Equipment away from its home side past its return deadline, by (return_by, id); limit + 1 rows. */
export async function overdueReturns(
  conn: Conn,
  o: { now: Date; institutionId?: string | undefined; after?: { r: string; i: string } | undefined; limit: number },
): Promise<OverdueRow[]> {
  const { now, institutionId, after } = o;
  return queryRows<OverdueRow>(
    conn,
    sql`
        select it.id, it.name, it.serial_number, it.institution_id, i.name as institution_name, it.home_side, it.current_side,
               it.return_by,
               (select coalesce(json_agg(json_build_object('id', r.id, 'fullName', r.full_name, 'nameZh', r.name_zh) order by r.full_name), '[]'::json)
                  from item_custodians c join researchers r on r.id = c.researcher_id where c.item_id = it.id) as custodians
          from items it join institutions i on i.id = it.institution_id
         where it.category = 'equipment' and it.return_by is not null and it.return_by < ${now}
           and it.current_side <> it.home_side
           ${institutionId ? sql`and it.institution_id = ${institutionId}::uuid` : sql``}
           ${after ? sql`and (it.return_by, it.id) > (${after.r}::timestamptz, ${after.i}::uuid)` : sql``}
         order by it.return_by, it.id
         limit ${o.limit + 1}`,
  );
}

export interface CheckpointTotals {
  checkpoint: string;
  direction: 'SZ_TO_HK' | 'HK_TO_SZ';
  crossings: number;
  cleared: number;
  flagged: number;
}

/** Crossings, cleared and flagged per checkpoint and direction, decided in [from, to). */
export async function checkpointTotals(conn: Conn, from: Date, to: Date): Promise<CheckpointTotals[]> {
  return queryRows<CheckpointTotals>(
    conn,
    sql`select checkpoint, direction, count(*)::int as crossings,
                   count(*) filter (where decision = 'CLEARED')::int as cleared,
                   count(*) filter (where decision = 'FLAGGED')::int as flagged
              from crossings where decided_at >= ${from} and decided_at < ${to}
             group by checkpoint, direction order by checkpoint, direction`,
  );
}

/** How many crossings carried each reason code, per checkpoint and direction, decided in [from, to). */
export async function reasonCounts(conn: Conn, from: Date, to: Date) {
  return queryRows<{ checkpoint: string; direction: string; code: string; n: number }>(
    conn,
    sql`select checkpoint, direction, code, count(distinct id)::int as n
              from crossings, unnest(reason_codes) as code
             where decided_at >= ${from} and decided_at < ${to}
             group by checkpoint, direction, code`,
  );
}
