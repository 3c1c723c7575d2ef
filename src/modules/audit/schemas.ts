import { z } from 'zod';
import { timestamp } from '../../http/common.js';
import { pageQuery } from '../../http/pagination.js';

export const auditEventSchema = z
  .object({
    seq: z.number().int(),
    at: timestamp,
    actor: z.string(),
    actorUsername: z
      .string()
      .nullable()
      .describe("The actor's username (an API client: its client_id); null for the service itself (`cli`, `anonymous`)"),
    role: z.string(),
    action: z.string(),
    subject: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const verifySchema = z
  .object({
    ok: z.boolean(),
    count: z.number().int(),
    headHash: z.string(),
    firstBadSeq: z.number().int().nullable(),
    problem: z.string().optional(),
  })
  .meta({ id: 'AuditVerification' });

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const BORDER_OFFSET = '+08:00';
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A `from`/`to` bound: an RFC 3339 time as it is, or a date as a day at the border
 * (UTC+8): `from` its start, `to` its end (the whole day is included).
 */
export function boundOf(value: string, edge: 'from' | 'to'): Date | undefined {
  if (DATE_RE.test(value)) {
    if (!z.iso.date().safeParse(value).success) return undefined;
    const start = new Date(`${value}T00:00:00${BORDER_OFFSET}`);
    return edge === 'from' ? start : new Date(start.getTime() + DAY_MS);
  }
  if (!z.iso.datetime({ offset: true }).safeParse(value).success) return undefined;
  return new Date(value);
}

export const boundQuery = (edge: 'from' | 'to') =>
  z
    .string()
    .max(64)
    .refine((v) => boundOf(v, edge) !== undefined, {
      message: 'must be a date (YYYY-MM-DD) or an RFC 3339 time, e.g. 2026-12-01 or 2026-12-01T08:30:00+08:00',
    })
    .describe(
      edge === 'from'
        ? 'Events at or after: an RFC 3339 time, or a date YYYY-MM-DD meaning the start of that day at the border (00:00 UTC+8)'
        : 'Events before: an RFC 3339 time (exclusive), or a date YYYY-MM-DD meaning up to the end of that day at the border (UTC+8), inclusive',
    );

export const auditListQuery = z.object({
  ...pageQuery,
  order: z.enum(['asc', 'desc']).default('asc').describe('asc: oldest first (the default); desc: newest first'),
  action: z.string().max(100).optional(),
  subject: z.string().max(200).optional(),
  actor: z.string().max(200).optional(),
  actorUsername: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  from: boundQuery('from').optional(),
  to: boundQuery('to').optional(),
});
export type AuditListQuery = z.output<typeof auditListQuery>;
