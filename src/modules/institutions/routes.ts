import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModuleOptions } from '../../deps.js';
import { INSTITUTION_TRANSITIONS } from '../../domain/statuses.js';
import { idParams, standardProblems } from '../../http/common.js';
import { etagOf, requireIfMatch } from '../../http/etag.js';
import { idempotent } from '../../http/idempotency.js';
import { pageOf, pageQuery } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';
import { fieldNamingValidatorCompiler, optionalIfMatch } from '../researchers/validation.js';
import {
  createInstitutionBody,
  institutionKindSchema,
  institutionSchema,
  institutionStatusSchema,
  sideSchema,
  suspendInstitutionBody,
  updateInstitutionBody,
} from './schemas.js';

const notFound = { 404: problemSchema };
const conflict = { 409: problemSchema };
const preconditions = { 412: problemSchema, 428: problemSchema };

const SUMMARIES = {
  suspend: 'Suspend an institution: its researchers are flagged at the border',
  reinstate: 'Reinstate a suspended institution',
} as const;

export const institutionRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps, services }) => {
  const { db } = deps.database;
  const institutions = services.institutions;
  app.setValidatorCompiler(fieldNamingValidatorCompiler);

  app.post(
    '/v1/institutions',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['institutions'],
        summary: 'Register an institution',
        description: '(side, registrationNumber) is unique: a second registration is a 409. Honours Idempotency-Key.',
        body: createInstitutionBody,
        response: { 201: institutionSchema, ...standardProblems, ...conflict },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async (tx) => {
        const { view, version } = await institutions.create(tx, request.user, request.body);
        return { status: 201, body: view, headers: { location: `/v1/institutions/${view.id}`, etag: etagOf(version) } };
      }),
  );

  app.get(
    '/v1/institutions',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['institutions'],
        summary: 'List institutions',
        description: 'Supervisors see all; an institution admin sees its own only.',
        querystring: z.strictObject({
          ...pageQuery,
          side: sideSchema.optional(),
          status: institutionStatusSchema.optional(),
          kind: institutionKindSchema.optional(),
        }),
        response: { 200: pageOf(institutionSchema), ...standardProblems },
      },
    },
    async (request) => institutions.list(request.user, request.query),
  );

  app.get(
    '/v1/institutions/:id',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['institutions'],
        summary: 'Read an institution',
        description: 'An institution admin reads its own; any other is a 404. The ETag is for If-Match on PATCH.',
        params: idParams,
        response: { 200: institutionSchema, ...standardProblems, ...notFound },
      },
    },
    async (request, reply) => {
      const { view, version } = await institutions.read(request.user, request.params.id);
      reply.header('etag', etagOf(version));
      return view;
    },
  );

  app.patch(
    '/v1/institutions/:id',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['institutions'],
        summary: 'Update an institution (If-Match required)',
        description:
          'Changes name, nameZh, side, kind or registrationNumber. Status changes go through suspend and reinstate. Without If-Match: 428; stale: 412.',
        params: idParams,
        body: updateInstitutionBody,
        response: { 200: institutionSchema, ...standardProblems, ...notFound, ...conflict, ...preconditions },
      },
    },
    async (request, reply) => {
      const { view, version } = await institutions.update(request.user, request.params.id, request.body, (v) => requireIfMatch(request, v));
      reply.header('etag', etagOf(version));
      return view;
    },
  );

  for (const action of ['suspend', 'reinstate'] as const) {
    const t = INSTITUTION_TRANSITIONS[action];
    app.post(
      `/v1/institutions/:id/${action}`,
      {
        config: { auth: ['supervisor'] },
        schema: {
          tags: ['institutions'],
          summary: SUMMARIES[action],
          description: `From ${t.from.join(' or ')} only; otherwise 409 INVALID_TRANSITION. If-Match is optional (412 when stale).`,
          params: idParams,
          ...(action === 'suspend'
            ? { body: suspendInstitutionBody }
            : { body: z.strictObject({ reason: z.string().trim().max(2000).optional() }).nullish() }),
          response: { 200: institutionSchema, ...standardProblems, ...notFound, ...conflict, 412: problemSchema },
        },
      },
      async (request, reply) => {
        const reason = (request.body as { reason?: string } | undefined)?.reason;
        const { view, version } = await institutions.transition(action, request.user, request.params.id, reason, (v) => optionalIfMatch(request, v));
        reply.header('etag', etagOf(version));
        return view;
      },
    );
  }
};
