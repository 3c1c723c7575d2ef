import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModuleOptions } from '../../deps.js';
import { idParams, standardProblems, uuidParam } from '../../http/common.js';
import { onceFor } from '../../http/once.js';
import { decodeCursor, isUuid, pageOf, pageQuery } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';
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

export const userRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { services }) => {
  const { users } = services;

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
    async (request, reply) => users.create(request.user, request.body, onceFor(request, reply)),
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
      return users.list({ after: decodeCursor(cursor, isUuid), role, limit });
    },
  );

  app.get(
    '/v1/users/:id',
    {
      config: { auth: ['supervisor'] },
      schema: { tags: ['users'], summary: 'Read an account', params: idParams, response: { 200: userSchema, ...standardProblems, ...notFound } },
    },
    async (request) => users.read(request.params.id),
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
        const updated = await users.setStatus(request.user, request.params.id, action);
        // Its tokens stop working now, not when the cached status expires.
        app.accountStatus.forget('user', updated.id);
        return updated;
      },
    );
  }

  // ---- institution API clients -------------------------------------------------

  const institutionParams = z.object({ id: uuidParam });

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
    async (request, reply) => users.createApiClient(request.user, request.params.id, request.body?.name, onceFor(request, reply)),
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
      const { limit, cursor } = request.query;
      return users.listApiClients(request.user, request.params.id, { cursor, limit });
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
      const client = await users.revokeApiClient(request.user, request.params.id, request.params.clientId);
      app.accountStatus.forget('client', client.id);
      return client;
    },
  );
};
