/** Calendar helpers shared by the PRC ID and MRZ parsers. All arithmetic is on plain integers. */

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  switch (month) {
    case 2:
      return isLeapYear(year) ? 29 : 28;
    case 4:
    case 6:
    case 9:
    case 11:
      return 30;
    default:
      return 31;
  }
}

export function isValidCalendarDate(year: number, month: number, day: number): boolean {
  return (
    Number.isInteger(year) &&
    Number.isInteger(month) &&
    Number.isInteger(day) &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Parse `YYYY-MM-DD` into its parts, or undefined when it is not a real calendar date. */
export function parseIsoDate(s: string): { year: number; month: number; day: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return isValidCalendarDate(year, month, day) ? { year, month, day } : undefined;
}

/** China Standard Time (UTC+8, no daylight saving): the border's local calendar. */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Today's date at the Shenzhen–Hong Kong border as `YYYY-MM-DD`. */
export function todayAtBorder(now: Date): string {
  assertValidNow(now);
  const local = new Date(now.getTime() + CHINA_OFFSET_MS);
  return isoDate(local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate());
}

/** The current calendar year at the border. */
export function yearAtBorder(now: Date): number {
  assertValidNow(now);
  return new Date(now.getTime() + CHINA_OFFSET_MS).getUTCFullYear();
}

function assertValidNow(now: Date): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new RangeError('`now` must be a valid Date');
  }
}
