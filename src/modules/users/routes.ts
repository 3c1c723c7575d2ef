import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appendAudit } from '../../audit/chain.js';
import { hashSecret } from '../../auth/passwords.js';
import { actorOf } from '../../auth/principal.js';
import { assertHumanUser, assertManagesInstitution } from '../../auth/scope.js';
import { apiClients, institutions, researchers, users } from '../../db/schema.js';
import type { ModuleOptions } from '../../deps.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { idParams, standardProblems, uuidParam } from '../../http/common.js';
import { idempotent } from '../../http/idempotency.js';
import { decodeCursor, isUuid, pageOf, pageQuery, paginate } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';
import { uuidv7 } from '../../lib/ids.js';
import { createUser, presentUser } from './queries.js';
import {
  apiClientSchema,
  createApiClientBody,
  createdApiClientSchema,
  createUserBody,
  meSchema,
  roleSchema,
  userSchema,
} from './schemas.js';

const notFound = { 404: problemSchema };

export const userRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps }) => {
  const { db } = deps.database;

  app.get(
    '/v1/me',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin', 'researcher', 'auditor'] },
      schema: { tags: ['users'], summary: 'Who the token belongs to', response: { 200: meSchema, ...standardProblems } },
    },
    async (request) => request.user,
  );

  app.post(
    '/v1/users',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['users'],
        summary: 'Create an account with a role and its scope',
        description:
          'Supervisors create any account. Institution admins create researcher accounts for researchers of their own institution only. An API client (client_credentials token) creates no accounts: 403.',
        body: createUserBody,
        response: { 201: userSchema, ...standardProblems, ...notFound, 409: problemSchema },
      },
    },
    async (request, reply) => {
      const me = request.user;
      const body = request.body;
      // An integration's token acts for its institution, not as a person: it makes no login accounts.
      assertHumanUser(me);
      if (me.role === 'institution_admin') {
        if (body.role !== 'researcher') throw new ForbiddenError('Institution admins create researcher accounts only');
        if (body.researcherId === undefined) {
          throw new ValidationError([{ path: 'researcherId', message: 'is required for role researcher' }]);
        }
        const [r] = await db
          .select({ institutionId: researchers.institutionId })
          .from(researchers)
          .where(eq(researchers.id, body.researcherId))
          .limit(1);
        if (!r || r.institutionId !== me.institutionId) throw new NotFoundError('Researcher');
      }
      return idempotent(db, request, reply, async (tx) => {
        const row = await createUser(tx, body);
        const created = presentUser(row);
        await appendAudit(tx, {
          actor: actorOf(me),
          role: me.role,
          action: 'user.create',
          subject: `user:${row.id}`,
          data: { after: created },
        }, deps.now());
        return { status: 201, body: created, headers: { location: `/v1/users/${row.id}` } };
      });
    },
  );

  app.get(
    '/v1/users',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['users'],
        summary: 'List accounts',
        querystring: z.object({ ...pageQuery, role: roleSchema.optional() }),
        response: { 200: pageOf(userSchema), ...standardProblems },
      },
    },
    async (request) => {
      const { limit, cursor, role } = request.query;
      const after = decodeCursor(cursor, isUuid);
      const rows = await db
        .select()
        .from(users)
        .where(and(after ? gt(users.id, after) : undefined, role ? eq(users.role, role) : undefined))
        .orderBy(asc(users.id))
        .limit(limit + 1);
      const page = paginate(rows, limit, (r) => r.id);
      return { items: page.items.map(presentUser), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/users/:id',
    {
      config: { auth: ['supervisor'] },
      schema: { tags: ['users'], summary: 'Read an account', params: idParams, response: { 200: userSchema, ...standardProblems, ...notFound } },
    },
    async (request) => {
      const [row] = await db.select().from(users).where(eq(users.id, request.params.id)).limit(1);
      if (!row) throw new NotFoundError('User');
      return presentUser(row);
    },
  );

  for (const action of ['disable', 'enable'] as const) {
    app.post(
      `/v1/users/:id/${action}`,
      {
        config: { auth: ['supervisor'] },
        schema: {
          tags: ['users'],
          summary: action === 'disable' ? 'Disable an account: its tokens stop working' : 'Enable a disabled account',
          params: idParams,
          response: { 200: userSchema, ...standardProblems, ...notFound },
        },
      },
      async (request) => {
        const me = request.user;
        if (action === 'disable' && me.kind === 'user' && me.sub === request.params.id) {
          throw new ConflictError('You cannot disable your own account', 'CANNOT_DISABLE_SELF');
        }
        const updated = await db.transaction(async (tx) => {
          const [before] = await tx.select().from(users).where(eq(users.id, request.params.id)).for('update').limit(1);
          if (!before) throw new NotFoundError('User');
          const [row] = await tx
            .update(users)
            .set({ status: action === 'disable' ? 'disabled' : 'active', updatedAt: deps.now() })
            .where(eq(users.id, before.id))
            .returning();
          await appendAudit(tx, {
            actor: actorOf(me),
            role: me.role,
            action: `user.${action}`,
            subject: `user:${before.id}`,
            data: { before: { status: before.status }, after: { status: row!.status } },
          }, deps.now());
          return row!;
        });
        app.accountStatus.forget('user', updated.id);
        return presentUser(updated);
      },
    );
  }

  // ---- institution API clients -------------------------------------------------

  const institutionParams = z.object({ id: uuidParam });
  type ClientRow = typeof apiClients.$inferSelect;
  const presentClient = (c: ClientRow) => ({
    id: c.id,
    clientId: c.clientId,
    institutionId: c.institutionId,
    name: c.name,
    createdAt: c.createdAt.toISOString(),
    revokedAt: c.revokedAt ? c.revokedAt.toISOString() : null,
  });

  async function loadInstitution(id: string) {
    const [inst] = await db.select({ id: institutions.id }).from(institutions).where(eq(institutions.id, id)).limit(1);
    if (!inst) throw new NotFoundError('Institution');
    return inst;
  }

  app.post(
    '/v1/institutions/:id/api-clients',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['users'],
        summary: 'Create an API client for an institution system; the secret is shown once',
        params: institutionParams,
        body: createApiClientBody.nullish(),
        response: { 201: createdApiClientSchema, ...standardProblems, ...notFound },
      },
    },
    async (request, reply) => {
      const me = request.user;
      assertManagesInstitution(me, request.params.id);
      assertHumanUser(me);
      await loadInstitution(request.params.id);
      return idempotent(db, request, reply, async (tx) => {
        const clientId = `hc_${randomBytes(12).toString('hex')}`;
        const clientSecret = randomBytes(32).toString('base64url');
        const [row] = await tx
          .insert(apiClients)
          .values({
            id: uuidv7(),
            clientId,
            secretHash: await hashSecret(clientSecret),
            institutionId: request.params.id,
            name: request.body?.name ?? 'integration',
            createdBy: me.sub,
          })
          .returning();
        const created = presentClient(row!);
        await appendAudit(tx, {
          actor: actorOf(me),
          role: me.role,
          action: 'api_client.create',
          subject: `api_client:${row!.id}`,
          data: { after: created },
        }, deps.now());
        return { status: 201, body: { ...created, clientSecret } };
      }, { store: (body) => ({ ...body, clientSecret: undefined }) });
    },
  );

  app.get(
    '/v1/institutions/:id/api-clients',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['users'],
        summary: "List an institution's API clients (never their secrets)",
        params: institutionParams,
        querystring: z.object(pageQuery),
        response: { 200: pageOf(apiClientSchema), ...standardProblems, ...notFound },
      },
    },
    async (request) => {
      assertManagesInstitution(request.user, request.params.id);
      await loadInstitution(request.params.id);
      const { limit, cursor } = request.query;
      const after = decodeCursor(cursor, isUuid);
      const rows = await db
        .select()
        .from(apiClients)
        .where(and(eq(apiClients.institutionId, request.params.id), after ? gt(apiClients.id, after) : undefined))
        .orderBy(asc(apiClients.id))
        .limit(limit + 1);
      const page = paginate(rows, limit, (r) => r.id);
      return { items: page.items.map(presentClient), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/v1/institutions/:id/api-clients/:clientId/revoke',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['users'],
        summary: 'Revoke an API client: its tokens stop working',
        params: z.object({ id: uuidParam, clientId: z.string().min(1).max(100) }),
        response: { 200: apiClientSchema, ...standardProblems, ...notFound },
      },
    },
    async (request) => {
      const me = request.user;
      assertManagesInstitution(me, request.params.id);
      assertHumanUser(me);
      const row = await db.transaction(async (tx) => {
        const [c] = await tx
          .select()
          .from(apiClients)
          .where(and(eq(apiClients.institutionId, request.params.id), eq(apiClients.clientId, request.params.clientId)))
          .for('update')
          .limit(1);
        if (!c) throw new NotFoundError('API client');
        if (c.revokedAt) return c;
        const [updated] = await tx.update(apiClients).set({ revokedAt: deps.now() }).where(eq(apiClients.id, c.id)).returning();
        await appendAudit(tx, {
          actor: actorOf(me),
          role: me.role,
          action: 'api_client.revoke',
          subject: `api_client:${c.id}`,
          data: { clientId: c.clientId },
        }, deps.now());
        return updated!;
      });
      app.accountStatus.forget('client', row.id);
      return presentClient(row);
    },
  );
  void desc;
};
