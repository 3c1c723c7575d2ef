// The border's calendar and its two sides: pure, shared by the decision, the workflows and the reports.
import type { Direction, Side } from './statuses.js';

const BORDER_OFFSET_MS = 8 * 60 * 60 * 1000; // UTC+08:00, no DST on either side

/**
 * The calendar date at the border ('YYYY-MM-DD'), UTC+08:00.
 * Throws a RangeError for an invalid Date: a broken clock must not yield a decision.
 */
export function borderDate(now: Date): string {
  const t = now.getTime();
  if (!Number.isFinite(t)) throw new RangeError('borderDate: invalid Date');
  return new Date(t + BORDER_OFFSET_MS).toISOString().slice(0, 10);
}

export function destinationSide(direction: Direction): Side {
  return direction === 'SZ_TO_HK' ? 'HK' : 'SZ';
}

export function originSide(direction: Direction): Side {
  return direction === 'SZ_TO_HK' ? 'SZ' : 'HK';
}
