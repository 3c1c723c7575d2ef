import { randomBytes } from 'node:crypto';
import { appendAudit } from '../../audit/chain.js';
import { hashSecret } from '../../auth/passwords.js';
import { actorOf } from '../../auth/principal.js';
import { assertHumanUser, assertManagesInstitution } from '../../auth/scope.js';
import type { Db } from '../../db/client.js';
import type { Role } from '../../db/schema.js';
import type { Principal } from '../../domain/scope.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import type { Once } from '../../http/once.js';
import { decodeCursor, isUuid, paginate } from '../../http/pagination.js';
import { uuidv7 } from '../../lib/ids.js';
import { presentClient, presentUser } from './present.js';
import {
  createUser,
  findUser,
  insertApiClient,
  institutionExists,
  institutionOfResearcher,
  listApiClients,
  listUsers,
  lockApiClient,
  type NewUser,
  revokeApiClient,
  setUserStatus,
} from './queries.js';

export interface UserServiceDeps {
  db: Db;
  now: () => Date;
}

type UserView = ReturnType<typeof presentUser>;
type ApiClientView = ReturnType<typeof presentClient>;

const auditActor = (me: Principal) => ({ actor: actorOf(me), role: me.role });

/** Accounts and institution API clients; each change with its audit event. */
export function userService({ db, now }: UserServiceDeps) {
  async function requireInstitution(id: string): Promise<void> {
    if (!(await institutionExists(db, id))) throw new NotFoundError('Institution');
  }

  return {
    /** Supervisors create any account; institution admins researcher accounts of their own institution only. */
    async create(me: Principal, body: NewUser, once: Once): Promise<UserView> {
      // An integration's token acts for its institution, not as a person: it makes no login accounts.
      assertHumanUser(me);
      if (me.role === 'institution_admin') {
        if (body.role !== 'researcher') throw new ForbiddenError('Institution admins create researcher accounts only');
        if (body.researcherId === undefined) {
          throw new ValidationError([{ path: 'researcherId', message: 'is required for role researcher' }]);
        }
        const institutionId = await institutionOfResearcher(db, body.researcherId);
        if (institutionId === undefined || institutionId !== me.institutionId) throw new NotFoundError('Researcher');
      }
      return once(db, async (tx) => {
        const row = await createUser(tx, body);
        const created = presentUser(row);
        await appendAudit(tx, { ...auditActor(me), action: 'user.create', subject: `user:${row.id}`, data: { after: created } }, now());
        return { status: 201, body: created, headers: { location: `/v1/users/${row.id}` } };
      });
    },

    async list(o: { after?: string | undefined; role?: Role | undefined; limit: number }) {
      const page = paginate(await listUsers(db, o), o.limit, (r) => r.id);
      return { items: page.items.map(presentUser), nextCursor: page.nextCursor };
    },

    async read(id: string): Promise<UserView> {
      const row = await findUser(db, id);
      if (!row) throw new NotFoundError('User');
      return presentUser(row);
    },

    /** Disables or enables an account; nobody disables their own. */
    async setStatus(me: Principal, id: string, action: 'disable' | 'enable'): Promise<UserView> {
      if (action === 'disable' && me.kind === 'user' && me.sub === id) {
        throw new ConflictError('You cannot disable your own account', 'CANNOT_DISABLE_SELF');
      }
      const updated = await db.transaction(async (tx) => {
        const before = await findUser(tx, id, { lock: true });
        if (!before) throw new NotFoundError('User');
        const row = await setUserStatus(tx, before.id, action === 'disable' ? 'disabled' : 'active', now());
        await appendAudit(tx, {
          ...auditActor(me),
          action: `user.${action}`,
          subject: `user:${before.id}`,
          data: { before: { status: before.status }, after: { status: row.status } },
        }, now());
        return row;
      });
      return presentUser(updated);
    },

    /** A new API client for an institution system; its secret is in this answer only (replays leave it out). */
    async createApiClient(me: Principal, institutionId: string, name: string | undefined, once: Once) {
      assertManagesInstitution(me, institutionId);
      assertHumanUser(me);
      await requireInstitution(institutionId);
      return once(db, async (tx) => {
        const clientId = `hc_${randomBytes(12).toString('hex')}`;
        const clientSecret = randomBytes(32).toString('base64url');
        const row = await insertApiClient(tx, {
          id: uuidv7(),
          clientId,
          secretHash: await hashSecret(clientSecret),
          institutionId,
          name: name ?? 'integration',
          createdBy: me.sub,
        });
        const created = presentClient(row);
        await appendAudit(tx, {
          ...auditActor(me),
          action: 'api_client.create',
          subject: `api_client:${row.id}`,
          data: { after: created },
        }, now());
        return { status: 201, body: { ...created, clientSecret } };
      }, { store: (body) => ({ ...body, clientSecret: undefined }) });
    },

    async listApiClients(me: Principal, institutionId: string, o: { cursor?: string | undefined; limit: number }) {
      assertManagesInstitution(me, institutionId);
      await requireInstitution(institutionId);
      // The cursor is read after the scope checks: outside its scope a caller learns nothing, not even a 400.
      const after = decodeCursor(o.cursor, isUuid);
      const page = paginate(await listApiClients(db, institutionId, { after, limit: o.limit }), o.limit, (r) => r.id);
      return { items: page.items.map(presentClient), nextCursor: page.nextCursor };
    },

    /** Revokes an API client (again: a no-op); the caller forgets its cached status. */
    async revokeApiClient(me: Principal, institutionId: string, clientId: string): Promise<ApiClientView> {
      assertManagesInstitution(me, institutionId);
      assertHumanUser(me);
      const row = await db.transaction(async (tx) => {
        const c = await lockApiClient(tx, institutionId, clientId);
        if (!c) throw new NotFoundError('API client');
        if (c.revokedAt) return c;
        const updated = await revokeApiClient(tx, c.id, now());
        await appendAudit(tx, {
          ...auditActor(me),
          action: 'api_client.revoke',
          subject: `api_client:${c.id}`,
          data: { clientId: c.clientId },
        }, now());
        return updated;
      });
      return presentClient(row);
    },
  };
}

export type UserService = ReturnType<typeof userService>;
