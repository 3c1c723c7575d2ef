// What a cleared (or released) crossing moves: the items' new side, return date and quantity,
// and the ledger rows. Pure; the rows are named as the ledger's columns, as the writer sends them.
import { destinationSide, originSide } from './border.js';
import type { ItemRecord } from './decision/types.js';
import type { Direction } from './statuses.js';

const DAY_MS = 86_400_000;

/** An item as the planner needs it: the decision's record and how long equipment may stay abroad. */
export interface MovableItem extends ItemRecord {
  maxDaysAbroad: number | null;
}

/** One change per item, however many lines declare it. */
export interface ItemChange {
  id: string;
  set_side: boolean;
  current_side: string | null;
  return_by: string | null;
  set_qty: boolean;
  remaining: number | null;
  bumps: number;
}

/** One row of the item ledger (item_movements). */
export interface MovementRow {
  id: string;
  item_id: string;
  crossing_id: string;
  inspection_id: string | null;
  kind: 'moved' | 'consumed' | 'copied';
  from_side: string | null;
  to_side: string;
  quantity: number | null;
  remaining_after: number | null;
  return_by: string | null;
  at: string;
}

export interface MovePlan {
  changes: ItemChange[];
  movements: MovementRow[];
}

/**
 * What the movement of cleared (or released) items changes. The declared items'
 * `currentSide` is updated in place, as the rest of the crossing sees it; `newId` names
 * each ledger row.
 */
export function planMoves(
  crossingId: string,
  inspectionId: string | null,
  direction: Direction,
  lines: { item: MovableItem | null; quantity?: number | undefined }[],
  now: Date,
  newId: () => string,
): MovePlan {
  const to = destinationSide(direction);
  const from = originSide(direction);
  const at = now.toISOString();
  const changes = new Map<string, ItemChange>();
  const movements: MovementRow[] = [];
  const drawn = new Map<string, number>();
  const movement = (item: MovableItem, m: Partial<MovementRow> & Pick<MovementRow, 'kind' | 'from_side'>): MovementRow => ({
    id: newId(),
    item_id: item.id,
    crossing_id: crossingId,
    inspection_id: inspectionId,
    to_side: to,
    quantity: null,
    remaining_after: null,
    return_by: null,
    at,
    ...m,
  });
  const changeOf = (id: string): ItemChange =>
    changes.get(id) ?? { id, set_side: false, current_side: null, return_by: null, set_qty: false, remaining: null, bumps: 0 };
  for (const line of lines) {
    const item = line.item;
    if (!item) continue;
    if (item.category === 'equipment') {
      if (item.currentSide === to) continue; // already there (a second line of the same item, or a released mismatch)
      const returnBy =
        to === item.homeSide ? null : item.maxDaysAbroad !== null ? new Date(now.getTime() + item.maxDaysAbroad * DAY_MS).toISOString() : null;
      const change = changeOf(item.id);
      changes.set(item.id, { ...change, set_side: true, current_side: to, return_by: returnBy, bumps: change.bumps + 1 });
      movements.push(movement(item, { kind: 'moved', from_side: item.currentSide, return_by: returnBy }));
      item.currentSide = to;
    } else if (item.category === 'reagent' || item.category === 'biological_sample') {
      const qty = line.quantity ?? 0;
      if (qty <= 0) continue;
      const before = (item.remainingQuantity ?? 0) - (drawn.get(item.id) ?? 0);
      const after = Math.max(0, before - qty);
      drawn.set(item.id, (drawn.get(item.id) ?? 0) + (before - after));
      const change = changeOf(item.id);
      changes.set(item.id, { ...change, set_qty: true, remaining: after, bumps: change.bumps + 1 });
      movements.push(movement(item, { kind: 'consumed', from_side: from, quantity: qty, remaining_after: after }));
    } else {
      movements.push(movement(item, { kind: 'copied', from_side: from }));
    }
  }
  return { changes: [...changes.values()], movements };
}
