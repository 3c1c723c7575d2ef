import { eq, inArray } from 'drizzle-orm';
import type { Reason } from '../../domain/decision/types.js';
import type { Conn } from '../../db/client.js';
import { crossingItems, crossings, inspections, institutions, items, researchers } from '../../db/schema.js';

export type CrossingRow = typeof crossings.$inferSelect;
type InspectionRow = typeof inspections.$inferSelect;

export interface CrossingLineView {
  line: number;
  itemId: string | null;
  serialNumber: string | null;
  name: string | null;
  category: (typeof items.$inferSelect)['category'] | null;
  quantity: number | null;
  sha256: string | null;
}

export interface CrossingPerson {
  id: string;
  fullName: string;
  nameZh: string | null;
  institutionId: string;
  institutionName: string;
}

/** The answer shape of one crossing, from its parts: the one place that shapes it. */
export function crossingView(
  r: CrossingRow,
  lines: CrossingLineView[],
  person: CrossingPerson | undefined,
  inspection: InspectionRow | undefined,
) {
  return {
    id: r.id,
    decision: r.decision,
    reasons: r.reasons as Reason[],
    traveller: person
      ? {
          researcherId: person.id,
          fullName: person.fullName,
          nameZh: person.nameZh,
          institutionId: person.institutionId,
          institutionName: person.institutionName,
        }
      : null,
    document: { kind: r.documentKind, number: r.documentNumber },
    items: lines,
    checkpoint: r.checkpoint,
    direction: r.direction,
    decidedAt: r.decidedAt.toISOString(),
    officerId: r.officerId,
    inspection: inspection ? { ...inspection, recordedAt: inspection.recordedAt.toISOString() } : null,
  };
}

/** Crossings with their lines, traveller names and inspection, in the order given. */
export async function presentCrossings(conn: Conn, rows: CrossingRow[]) {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const lines = await conn
    .select({
      crossingId: crossingItems.crossingId,
      line: crossingItems.line,
      itemId: crossingItems.itemId,
      serialNumber: crossingItems.serialNumber,
      quantity: crossingItems.quantity,
      sha256: crossingItems.sha256,
      name: items.name,
      category: items.category,
    })
    .from(crossingItems)
    .leftJoin(items, eq(items.id, crossingItems.itemId))
    .where(inArray(crossingItems.crossingId, ids))
    .orderBy(crossingItems.crossingId, crossingItems.line);
  const researcherIds = [...new Set(rows.flatMap((r) => (r.researcherId ? [r.researcherId] : [])))];
  const people: CrossingPerson[] = researcherIds.length
    ? await conn
        .select({
          id: researchers.id,
          fullName: researchers.fullName,
          nameZh: researchers.nameZh,
          institutionId: researchers.institutionId,
          institutionName: institutions.name,
        })
        .from(researchers)
        .innerJoin(institutions, eq(institutions.id, researchers.institutionId))
        .where(inArray(researchers.id, researcherIds))
    : [];
  const outcomes = await conn.select().from(inspections).where(inArray(inspections.crossingId, ids));
  return rows.map((r) =>
    crossingView(
      r,
      lines
        .filter((l) => l.crossingId === r.id)
        .map(({ crossingId: _c, ...l }) => l),
      people.find((p) => p.id === r.researcherId),
      outcomes.find((o) => o.crossingId === r.id),
    ),
  );
}
