import type { Db } from '../../db/client.js';
import type { Principal } from '../../domain/scope.js';
import { ValidationError } from '../../errors.js';
import { decodeCursor, encodeCursor, isUuid } from '../../http/pagination.js';
import { checkpointTotals, overdueReturns, reasonCounts } from './queries.js';

export interface ReportServiceDeps {
  /** Reports read from the replica when there is one. */
  readDb: Db;
  now: () => Date;
}

const DAY_MS = 86_400_000;

/** The overdue list's cursor: the last row's return_by and id. */
type OverdueCursor = { r: string; i: string };
const isOverdueCursor = (v: unknown): v is OverdueCursor =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as OverdueCursor).r === 'string' &&
  !Number.isNaN(Date.parse((v as OverdueCursor).r)) &&
  isUuid((v as OverdueCursor).i);

export function reportService({ readDb, now: clock }: ReportServiceDeps) {
  return {
    /** Most overdue first; an institution admin sees its own institution's only. */
    async overdueReturns(me: Principal, q: { institutionId?: string | undefined; cursor?: string | undefined; limit: number }) {
      const now = clock();
      const institutionId = me.role === 'institution_admin' ? me.institutionId! : q.institutionId;
      const after = decodeCursor(q.cursor, isOverdueCursor);
      const rows = await overdueReturns(readDb, { now, institutionId, after, limit: q.limit });
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
            daysOverdue: Math.floor((now.getTime() - returnBy.getTime()) / DAY_MS),
            custodians: typeof r.custodians === 'string' ? JSON.parse(r.custodians) : r.custodians,
          };
        }),
        nextCursor: rows.length > q.limit && last ? encodeCursor({ r: new Date(last.return_by).toISOString(), i: last.id }) : null,
      };
    },

    /** Per checkpoint and direction over [from, to): by default the 30 days up to now. */
    async checkpointStats(q: { from?: string | undefined; to?: string | undefined }) {
      const now = clock();
      const to = q.to ? new Date(q.to) : now;
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS);
      if (from.getTime() > to.getTime()) throw new ValidationError([{ path: 'from', message: 'must not be after to' }]);
      const totals = await checkpointTotals(readDb, from, to);
      const reasons = await reasonCounts(readDb, from, to);
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
  };
}

export type ReportService = ReturnType<typeof reportService>;
