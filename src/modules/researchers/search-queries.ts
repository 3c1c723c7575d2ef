import { and, asc, eq, gt, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Conn } from '../../db/client.js';
import { researchers } from '../../db/schema.js';
import { decodeCursor, encodeCursor, isUuid } from '../../http/pagination.js';
import type { ResearcherRow } from './present.js';
import type { ReportedResearcherStatus } from './schemas.js';

/** How close a query must come to one stretch of the name (pg_trgm word_similarity, 0–1). */
const WORD_SIMILARITY_MIN = 0.45;

export function statusCondition(status: ReportedResearcherStatus | undefined, today: string): SQL | undefined {
  if (status === undefined) return undefined;
  if (status === 'expired') return and(eq(researchers.status, 'approved'), lt(researchers.validUntil, today));
  if (status === 'approved') {
    return and(eq(researchers.status, 'approved'), or(isNull(researchers.validUntil), sql`${researchers.validUntil} >= ${today}`));
  }
  return eq(researchers.status, status);
}

export interface ListOptions {
  status?: ReportedResearcherStatus | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

const isIdCursor = isUuid;
const isRankCursor = (v: unknown): v is [string, string] =>
  Array.isArray(v) &&
  v.length === 2 &&
  typeof v[0] === 'string' &&
  /^\d{1,3}(\.\d{1,9})?$/.test(v[0]) &&
  isUuid(v[1]);

/**
 * One page of researchers: of one institution, or of all when `institutionId` is
 * undefined (the supervisor's queue). Without `q`: by id (creation order).
 * With `q`: ranked by similarity, best first. Latin names are matched with pg_trgm
 * on lower(full_name) (similarity `%`, word similarity, or a plain substring),
 * so typos still match; Chinese names by substring (strpos) on name_zh, since
 * pg_trgm forms no trigrams of CJK characters under a C locale.
 */
export async function listResearchers(
  conn: Conn,
  institutionId: string | undefined,
  opts: ListOptions,
  today: string,
): Promise<{ rows: (ResearcherRow & { score?: number })[]; nextCursor: string | null }> {
  const base = and(
    institutionId !== undefined ? eq(researchers.institutionId, institutionId) : undefined,
    statusCondition(opts.status, today),
  );
  if (opts.q === undefined) {
    const after = decodeCursor(opts.cursor, isIdCursor);
    const rows = await conn
      .select()
      .from(researchers)
      .where(and(base, after !== undefined ? gt(researchers.id, after) : undefined))
      .orderBy(asc(researchers.id))
      .limit(opts.limit + 1);
    const more = rows.length > opts.limit;
    const page = more ? rows.slice(0, opts.limit) : rows;
    return { rows: page, nextCursor: more ? encodeCursor(page[page.length - 1]!.id) : null };
  }

  const latin = opts.q.normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase();
  const zh = opts.q.normalize('NFC').replace(/\s+/gu, '');
  const name = sql`lower(${researchers.fullName})`;
  const zhHit = sql`(${researchers.nameZh} is not null and strpos(${researchers.nameZh}, ${zh}) > 0)`;
  const score = sql`round(greatest(
      similarity(${name}, ${latin}),
      word_similarity(${latin}, ${name}),
      case when strpos(${name}, ${latin}) > 0 then 0.5 else 0 end,
      case when ${zhHit} then 0.5 + 0.5 * char_length(${zh})::float8 / greatest(char_length(${researchers.nameZh}), 1) else 0 end
    )::numeric, 6)`;
  // `%` (similarity ≥ 0.3) can use the trigram index; a word similarity of 0.45 also
  // catches a transposed letter in a short word ("SMIHT" for "SMITH JOHN").
  const matches = sql`(${name} % ${latin} or word_similarity(${latin}, ${name}) >= ${WORD_SIMILARITY_MIN} or strpos(${name}, ${latin}) > 0 or ${zhHit})`;
  const after = decodeCursor(opts.cursor, isRankCursor);
  const rows = await conn
    .select({ researcher: researchers, score: sql<string>`(${score})::text` })
    .from(researchers)
    .where(
      and(
        base,
        matches,
        after !== undefined
          ? sql`(${score} < ${after[0]}::numeric or (${score} = ${after[0]}::numeric and ${researchers.id} > ${after[1]}))`
          : undefined,
      ),
    )
    .orderBy(sql`${score} desc`, asc(researchers.id))
    .limit(opts.limit + 1);
  const more = rows.length > opts.limit;
  const page = more ? rows.slice(0, opts.limit) : rows;
  const last = page[page.length - 1];
  return {
    rows: page.map((r) => ({ ...r.researcher, score: Number(r.score) })),
    nextCursor: more && last ? encodeCursor([last.score, last.researcher.id]) : null,
  };
}
