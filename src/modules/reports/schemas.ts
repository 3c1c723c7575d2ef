import { z } from 'zod';
import { REASON_CODES } from '../../domain/decision/types.js';
import { timestamp, timestampQuery } from '../../http/common.js';
import { pageQuery } from '../../http/pagination.js';

export const overdueSchema = z
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

export const statsRow = z.object({
  checkpoint: z.string(),
  direction: z.enum(['SZ_TO_HK', 'HK_TO_SZ']),
  crossings: z.number().int(),
  cleared: z.number().int(),
  flagged: z.number().int(),
  byReason: z.partialRecord(z.enum(REASON_CODES), z.number().int()),
});

export const overdueQuery = z.object({ ...pageQuery, institutionId: z.uuid().optional() });

export const statsQuery = z.object({
  from: timestampQuery.optional().describe('Inclusive; default 30 days ago'),
  to: timestampQuery.optional().describe('Exclusive; default now'),
});

export const statsSchema = z.object({ from: timestamp, to: timestamp, rows: z.array(statsRow) });
