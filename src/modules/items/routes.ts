import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ItemAction } from '../../domain/statuses.js';
import type { ModuleOptions } from '../../deps.js';
import { idParams, standardProblems } from '../../http/common.js';
import { etagOf, requireIfMatch } from '../../http/etag.js';
import { onceFor } from '../../http/once.js';
import { decodeCursor, isUuid, pageOf } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';
import {
  approveItemBody,
  createItemBody,
  emptyBody,
  itemSchema,
  listItemsQuery,
  normalizeSerialNumber,
  optionalReasonBody,
  reasonBody,
  updateItemBody,
} from './schemas.js';
import type { ItemChange } from './service.js';

const notFound = { 404: problemSchema };
const conflict = { 409: problemSchema };
const preconditions = { 412: problemSchema, 428: problemSchema };

export const itemRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { services }) => {
  const { items } = services;

  // ---- register --------------------------------------------------------------

  app.post(
    '/v1/institutions/:id/items',
    {
      config: { auth: ['supervisor', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['items'],
        summary: 'Register an item',
        description:
          'Institution admins (of this institution) and supervisors register items as `endorsed`. A researcher of the ' +
          'institution pre-registers an item they will carry as `submitted`, with themself as the only custodian; ' +
          'the institution then endorses it. Honours Idempotency-Key.',
        params: idParams,
        body: createItemBody,
        response: { 201: itemSchema, ...standardProblems, ...notFound, ...conflict },
      },
    },
    async (request, reply) => items.register(request.user, request.params.id, request.body, onceFor(request, reply)),
  );

  // ---- read ------------------------------------------------------------------

  app.get(
    '/v1/items',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['items'],
        summary: 'List the items in your scope',
        description:
          'Supervisors and officers see every item; an institution admin those of its institution; a researcher ' +
          'those they are a custodian of. Served by the read replica when there is one.',
        querystring: listItemsQuery,
        response: { 200: pageOf(itemSchema), ...standardProblems },
      },
    },
    async (request) => {
      const { limit, cursor, serialNumber, ...filters } = request.query;
      const after = decodeCursor(cursor, isUuid);
      const normalized = serialNumber === undefined ? undefined : normalizeSerialNumber(serialNumber);
      return items.list(request.user, { ...filters, serialNumber: normalized }, after, limit);
    },
  );

  app.get(
    '/v1/items/:id',
    {
      config: { auth: ['supervisor', 'officer', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['items'],
        summary: 'Read an item',
        description: 'Answers an ETag to send back as If-Match on PATCH.',
        params: idParams,
        response: { 200: itemSchema, ...standardProblems, ...notFound },
      },
    },
    async (request, reply) => {
      const { item, version } = await items.read(request.user, request.params.id);
      reply.header('etag', etagOf(version));
      return item;
    },
  );

  // ---- update ----------------------------------------------------------------

  app.patch(
    '/v1/items/:id',
    {
      config: { auth: ['supervisor', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['items'],
        summary: 'Change the name, description or custodians of an item',
        description:
          'Needs If-Match with the ETag of your last read (428 without, 412 when stale). Institution admins of the ' +
          'item and supervisors change `name`, `description` and `custodianIds`; a researcher changes the name and ' +
          'description of an item they submitted while it is still `submitted`. Every other field is refused (422) — ' +
          'status moves through the workflow actions. A revoked item is final.',
        params: idParams,
        body: updateItemBody,
        response: { 200: itemSchema, ...standardProblems, ...notFound, ...conflict, ...preconditions },
      },
    },
    async (request, reply) => {
      const { item, version } = await items.update(request.user, request.params.id, request.body, (v) => requireIfMatch(request, v));
      reply.header('etag', etagOf(version));
      return item;
    },
  );

  // ---- workflow --------------------------------------------------------------

  /** If-Match is optional on the workflow actions but honoured (412 when stale); Idempotency-Key too. */
  const transition = (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, action: ItemAction, change: ItemChange) =>
    items.transition(
      request.user,
      request.params.id,
      action,
      change,
      request.headers['if-match'] !== undefined ? (v) => requireIfMatch(request, v) : undefined,
      onceFor(request, reply),
    );

  const workflowResponse = { 200: itemSchema, ...standardProblems, ...notFound, ...conflict, 412: problemSchema };
  const workflowNote = ' If-Match is honoured when sent (412 when stale); an action from the wrong status is a 409 INVALID_TRANSITION.';

  app.post(
    '/v1/items/:id/endorse',
    {
      config: { auth: ['institution_admin'] },
      schema: {
        tags: ['items'],
        summary: 'Endorse a submitted item (its institution): submitted → endorsed',
        description: 'Institution admins of the item only.' + workflowNote,
        params: idParams,
        body: emptyBody.nullish(),
        response: workflowResponse,
      },
    },
    async (request, reply) => transition(request, reply, 'endorse', {}),
  );

  app.post(
    '/v1/items/:id/approve',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['items'],
        summary: 'Approve an endorsed item until validUntil, or renew an approved one',
        description: 'endorsed → approved, approved → approved (renewal). validUntil is a border date (UTC+08:00), not in the past.' + workflowNote,
        params: idParams,
        body: approveItemBody,
        response: workflowResponse,
      },
    },
    async (request, reply) => transition(request, reply, 'approve', { validUntil: request.body.validUntil }),
  );

  const withReason = (action: 'reject' | 'suspend' | 'revoke', summary: string, description: string) =>
    app.post(
      `/v1/items/:id/${action}`,
      {
        config: { auth: ['supervisor'] },
        schema: {
          tags: ['items'],
          summary,
          description: description + workflowNote,
          params: idParams,
          body: reasonBody,
          response: workflowResponse,
        },
      },
      async (request, reply) => transition(request, reply, action, { reason: request.body.reason }),
    );
  withReason('reject', 'Reject a submitted or endorsed item', 'submitted | endorsed → rejected, with a reason.');
  withReason('suspend', 'Suspend an approved item', 'approved → suspended, with a reason.');
  withReason('revoke', 'Revoke an item for good', 'any status but revoked → revoked, with a reason. Final.');

  app.post(
    '/v1/items/:id/reinstate',
    {
      config: { auth: ['supervisor'] },
      schema: {
        tags: ['items'],
        summary: 'Reinstate a suspended item',
        description: 'suspended → approved, keeping its validUntil. An optional reason goes to the audit log.' + workflowNote,
        params: idParams,
        body: optionalReasonBody.nullish(),
        response: workflowResponse,
      },
    },
    async (request, reply) => transition(request, reply, 'reinstate', { reason: request.body?.reason }),
  );

};
