import { verifyChain } from '../../audit/chain.js';
import type { AuditSealer } from '../../audit/sealer.js';
import type { Db } from '../../db/client.js';
import { ValidationError } from '../../errors.js';
import { decodeCursor, isNumber, paginate } from '../../http/pagination.js';
import { AUDIT_ACTIONS } from './actions.js';
import { actionInLog, actorsOfUsername, knownActions, listAuditEvents, usernamesOfActors } from './queries.js';
import { type AuditListQuery, boundOf } from './schemas.js';

export interface AuditServiceDeps {
  db: Db;
  sealer: AuditSealer;
}

/** Reading the audit log and verifying its chain, each after sealing the journal. */
export function auditService({ db, sealer }: AuditServiceDeps) {
  return {
    async list(q: AuditListQuery) {
      const { limit, cursor, order, action, subject, actor, actorUsername, from, to } = q;
      const after = decodeCursor(cursor, isNumber);
      const fromAt = from !== undefined ? boundOf(from, 'from') : undefined;
      const toAt = to !== undefined ? boundOf(to, 'to') : undefined;
      if (fromAt && toAt && toAt <= fromAt) throw new ValidationError([{ path: 'to', message: 'must be after from' }]);
      // Every lookup and crossing answered before this read is in the chain first (the journal, sealed).
      await sealer.sealAll();
      if (action && !(AUDIT_ACTIONS as readonly string[]).includes(action) && !(await actionInLog(db, action))) {
        const known = await knownActions(db);
        throw new ValidationError(
          [{ path: 'action', message: `is not a known action; the known actions are: ${known.join(', ')}` }],
          `Unknown action "${action}". The known actions are: ${known.join(', ')}`,
        );
      }
      let actors: string[] | undefined = actor ? [actor] : undefined;
      if (actorUsername !== undefined) {
        const named = await actorsOfUsername(db, actorUsername);
        actors = actors ? actors.filter((a) => named.includes(a)) : named;
      }
      const rows = await listAuditEvents(db, {
        order,
        limit,
        after,
        action: action || undefined,
        subject: subject || undefined,
        actors,
        from: fromAt,
        to: toAt,
      });
      const page = paginate(rows, limit, (r) => r.seq);
      const names = await usernamesOfActors(db, page.items.map((r) => r.actor));
      return {
        items: page.items.map((r) => ({
          ...r,
          actorUsername: names.get(r.actor) ?? null,
          at: r.at.toISOString(),
          data: r.data as Record<string, unknown>,
        })),
        nextCursor: page.nextCursor,
      };
    },

    async verify() {
      await sealer.sealAll();
      return verifyChain(db);
    },
  };
}

export type AuditService = ReturnType<typeof auditService>;
