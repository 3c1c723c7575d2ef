import { appendAudit } from '../../audit/chain.js';
import { actorOf } from '../../auth/principal.js';
import type { Db, Tx } from '../../db/client.js';
import type { Principal } from '../../domain/scope.js';
import { ConflictError } from '../../errors.js';
import { decodeCursor, isString, paginate } from '../../http/pagination.js';
import { type CheckpointRow, findCheckpoint, insertCheckpoint, listCheckpoints } from './queries.js';

export interface CheckpointServiceDeps {
  /** Lists may be served by a read replica. */
  readDb: Db;
  now: () => Date;
}

const present = (r: CheckpointRow) => ({ code: r.code, name: r.nameEn, nameZh: r.nameZh, hetaoLane: r.hetaoLane, active: r.active });

/** The control points: listed for everyone signed in, added by a supervisor. */
export function checkpointService({ readDb, now }: CheckpointServiceDeps) {
  return {
    async list(query: { limit: number; cursor?: string | undefined }) {
      const after = decodeCursor(query.cursor, isString);
      const page = paginate(await listCheckpoints(readDb, after, query.limit), query.limit, (r) => r.code);
      return { items: page.items.map(present), nextCursor: page.nextCursor };
    },

    /** A new control point, in the caller's (idempotent) transaction. */
    async create(tx: Tx, me: Principal, body: { code: string; name: string; nameZh: string; hetaoLane: boolean }) {
      const existing = await findCheckpoint(tx, body.code);
      if (existing) throw new ConflictError(`Checkpoint ${body.code} already exists`, 'CHECKPOINT_EXISTS');
      const created = present(await insertCheckpoint(tx, body));
      const entry = { actor: actorOf(me), role: me.role, action: 'checkpoint.create', subject: `checkpoint:${body.code}`, data: { after: created } };
      await appendAudit(tx, entry, now());
      return created;
    },
  };
}

export type CheckpointService = ReturnType<typeof checkpointService>;
