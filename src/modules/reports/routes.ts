import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { REASON_CODES } from '../../domain/decision/types.js';
import { queryRows } from '../../db/client.js';
import type { ModuleOptions } from '../../deps.js';
import { ValidationError } from '../../errors.js';
import { standardProblems, timestamp, timestampQuery } from '../../http/common.js';
import { decodeCursor, isUuid, pageOf, pageQuery } from '../../http/pagination.js';
import { encodeCursor } from '../../http/pagination.js';

const overdueSchema = z
  .object({
    itemId: z.string(),
    name: z.string(),
    serialNumber: z.string().nullable(),
    institutionId: z.string(),
    institutionName: z.string(),
    homeSide: z.enum(['SZ', 'HK']),
    currentSide: z.enum(['SZ', 'HK']),
    returnBy: timestamp,
    daysOverdue: z.number().int(),
    custodians: z.array(z.object({ id: z.string(), fullName: z.string(), nameZh: z.string().nullable() })),
  })
  .meta({ id: 'OverdueReturn' });

const statsRow = z.object({
  checkpoint: z.string(),
  direction: z.enum(['SZ_TO_HK', 'HK_TO_SZ']),
  crossings: z.number().int(),
  cleared: z.number().int(),
  flagged: z.number().int(),
  byReason: z.partialRecord(z.enum(REASON_CODES), z.number().int()),
});

type OverdueCursor = { r: string; i: string };
const isOverdueCursor = (v: unknown): v is OverdueCursor =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as OverdueCursor).r === 'string' &&
  !Number.isNaN(Date.parse((v as OverdueCursor).r)) &&
  isUuid((v as OverdueCursor).i);

export const reportRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps }) => {
  const read = deps.database.readDb;

  app.get(
    '/v1/reports/overdue-returns',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['reports'],
        summary: 'Equipment away from its home side past its return deadline, most overdue first',
        querystring: z.object({ ...pageQuery, institutionId: z.uuid().optional() }),
        response: { 200: pageOf(overdueSchema), ...standardProblems },
      },
    },
    async (request) => {
      const me = request.user;
      const q = request.query;
      const now = deps.now();
      const institutionId = me.role === 'institution_admin' ? me.institutionId! : q.institutionId;
      const after = decodeCursor(q.cursor, isOverdueCursor);
      const rows = await queryRows<{
        id: string;
        name: string;
        serial_number: string | null;
        institution_id: string;
        institution_name: string;
        home_side: 'SZ' | 'HK';
        current_side: 'SZ' | 'HK';
        return_by: Date | string;
        custodians: { id: string; fullName: string; nameZh: string | null }[] | string;
      }>(
        read,
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
         limit ${q.limit + 1}`,
      );
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((r) => {
          const returnBy = new Date(r.return_by);
          return {
            itemId: r.id,
            name: r.name,
            serialNumber: r.serial_number,
            institutionId: r.institution_id,
            institutionName: r.institution_name,
            homeSide: r.home_side,
            currentSide: r.current_side,
            returnBy: returnBy.toISOString(),
            daysOverdue: Math.floor((now.getTime() - returnBy.getTime()) / 86_400_000),
            custodians: typeof r.custodians === 'string' ? JSON.parse(r.custodians) : r.custodians,
          };
        }),
        nextCursor: rows.length > q.limit && last ? encodeCursor({ r: new Date(last.return_by).toISOString(), i: last.id }) : null,
      };
    },
  );

  app.get(
    '/v1/reports/checkpoint-stats',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['reports'],
        summary: 'Crossings and flags per checkpoint and direction, and flags by reason',
        querystring: z.object({
          from: timestampQuery.optional().describe('Inclusive; default 30 days ago'),
          to: timestampQuery.optional().describe('Exclusive; default now'),
        }),
        response: {
          200: z.object({ from: timestamp, to: timestamp, rows: z.array(statsRow) }),
          ...standardProblems,
        },
      },
    },
    async (request) => {
      const now = deps.now();
      const to = request.query.to ? new Date(request.query.to) : now;
      const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - 30 * 86_400_000);
      if (from.getTime() > to.getTime()) throw new ValidationError([{ path: 'from', message: 'must not be after to' }]);
      const totals = await queryRows<{ checkpoint: string; direction: 'SZ_TO_HK' | 'HK_TO_SZ'; crossings: number; cleared: number; flagged: number }>(
        read,
        sql`select checkpoint, direction, count(*)::int as crossings,
                   count(*) filter (where decision = 'CLEARED')::int as cleared,
                   count(*) filter (where decision = 'FLAGGED')::int as flagged
              from crossings where decided_at >= ${from} and decided_at < ${to}
             group by checkpoint, direction order by checkpoint, direction`,
      );
      const reasons = await queryRows<{ checkpoint: string; direction: string; code: string; n: number }>(
        read,
        sql`select checkpoint, direction, code, count(distinct id)::int as n
              from crossings, unnest(reason_codes) as code
             where decided_at >= ${from} and decided_at < ${to}
             group by checkpoint, direction, code`,
      );
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        rows: totals.map((t) => ({
          ...t,
          crossings: Number(t.crossings),
          cleared: Number(t.cleared),
          flagged: Number(t.flagged),
          byReason: Object.fromEntries(
            reasons.filter((r) => r.checkpoint === t.checkpoint && r.direction === t.direction).map((r) => [r.code, Number(r.n)]),
          ),
        })),
      };
    },
  );
};
