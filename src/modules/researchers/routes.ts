import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertManagesInstitution } from '../../auth/scope.js';
import type { ModuleOptions } from '../../deps.js';
import { RESEARCHER_TRANSITIONS, type ResearcherAction } from '../../domain/statuses.js';
import { AppError } from '../../errors.js';
import { idParams, standardProblems, uuidParam } from '../../http/common.js';
import { etagOf, requireIfMatch } from '../../http/etag.js';
import { idempotent } from '../../http/idempotency.js';
import { pageOf, pageQuery } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';
import { MAX_IMPORT_ROWS } from './import.js';
import {
  approveBody,
  documentBody,
  importResultSchema,
  optionalReasonBody,
  REPORTED_RESEARCHER_STATUSES,
  reasonBody,
  researcherBody,
  researcherSchema,
  researcherSearchHitSchema,
  updateResearcherBody,
} from './schemas.js';
import type { WorkflowInput } from './service.js';
import { fieldNamingValidatorCompiler, optionalIfMatch } from './validation.js';

const notFound = { 404: problemSchema };
const conflict = { 409: problemSchema };
const preconditions = { 412: problemSchema, 428: problemSchema };

/** The OpenAPI summary of each workflow action (the transitions themselves are in src/domain/statuses.ts). */
const SUMMARIES: Record<ResearcherAction, string> = {
  approve: 'Approve a nominated researcher with a validity window, or renew an approved one',
  reject: 'Reject a nomination',
  suspend: 'Suspend an approved researcher (a supervisor, or the admin of their institution, e.g. for a leaver)',
  reinstate: 'Reinstate a suspended researcher',
  revoke: 'Revoke a researcher from the whitelist (final)',
};

export const researcherRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps, services }) => {
  const { db } = deps.database;
  const researchers = services.researchers;
  app.setValidatorCompiler(fieldNamingValidatorCompiler);

  // CSV for the bulk import, in this plugin only; the import route sets its own body limit.
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  // ---- nominate ----------------------------------------------------------------------

  app.post(
    '/v1/institutions/:id/researchers',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['researchers'],
        summary: 'Nominate a researcher with their identity documents',
        description:
          'The researcher starts `nominated`, their documents `pending` (approved with the researcher). Document numbers are validated and normalised; a document that this institution already registered is a 409 DOCUMENT_ALREADY_REGISTERED naming the field. A document held at another institution is accepted like any other: the supervisor resolves it at approval (DOCUMENT_HELD_ELSEWHERE). Honours Idempotency-Key.',
        params: idParams,
        body: researcherBody,
        response: { 201: researcherSchema, ...standardProblems, ...notFound, ...conflict },
      },
    },
    async (request, reply) => {
      // The scope check comes before the Idempotency-Key is looked at.
      assertManagesInstitution(request.user, request.params.id);
      return idempotent(db, request, reply, async (tx) => {
        const { view, version } = await researchers.nominate(tx, request.user, request.params.id, request.body);
        return { status: 201, body: view, headers: { location: `/v1/researchers/${view.id}`, etag: etagOf(version) } };
      });
    },
  );


  // ---- list and search ----------------------------------------------------------------

  app.get(
    '/v1/institutions/:id/researchers',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['researchers'],
        summary: "List or search an institution's researchers",
        description:
          '`status` filters (`expired` too). `q` searches names: typo-tolerant on the Latin name (trigram similarity), substring on the Chinese name; results are then ranked by similarity.',
        params: idParams,
        querystring: z.strictObject({
          ...pageQuery,
          status: z.enum(REPORTED_RESEARCHER_STATUSES).optional(),
          q: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
        }),
        response: { 200: pageOf(researcherSearchHitSchema), ...standardProblems, ...notFound },
      },
    },
    async (request) => researchers.list(request.user, request.params.id, request.query),
  );

  // The supervisor's queue (e.g. ?status=nominated) across institutions; an institution admin's, its own.
  app.get(
    '/v1/researchers',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['researchers'],
        summary: "List or search researchers across institutions (the supervisor's queue)",
        description:
          'A supervisor sees every institution, an institution admin its own only (another `institutionId` is a 404, as for one that does not exist). `status=nominated` is the approval queue. `status`, `q` and the items are as for `GET /v1/institutions/{id}/researchers`.',
        querystring: z.strictObject({
          ...pageQuery,
          status: z.enum(REPORTED_RESEARCHER_STATUSES).optional(),
          institutionId: uuidParam.optional(),
          q: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
        }),
        response: { 200: pageOf(researcherSearchHitSchema), ...standardProblems, ...notFound },
      },
    },
    async (request) => researchers.queue(request.user, request.query),
  );

  // ---- bulk import ----------------------------------------------------------------------

  app.post(
    '/v1/institutions/:id/researchers/import',
    {
      bodyLimit: deps.config.http.importBodyLimit,
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['researchers'],
        summary: 'Bulk nominate researchers: a JSON array, or text/csv; all rows or none',
        description: [
          'JSON: an array of researcher bodies (as for a single nomination).',
          'CSV (`Content-Type: text/csv`, RFC 4180, UTF-8): the header `fullName,nameZh,dateOfBirth,nationality,email,documentKind,documentNumber,issuingCountry,expiresOn`, one researcher and one document per row.',
          'Every row is validated (fields, document numbers, duplicates within the file and among the documents your institution registered), and every fault of every row is reported in one answer. Any bad row: 422 with `errors: [{path: "<row>.<field>", row, field, message}]` and nothing is created. CSV rows are named by the line of the file they start on (the header is line 1, the first data row line 2); JSON rows by their 1-based position in the array.',
          'Honours Idempotency-Key: a retried import answers the first result and creates nothing twice.',
        ].join('\n\n'),
        params: idParams,
        // Both bounds hold: the row count is checked by the import before any row is validated (422), the CSV text by bodyLimit (413).
        body: z
          .union([
            z.array(z.unknown()).meta({ maxItems: MAX_IMPORT_ROWS }),
            z.string().meta({ maxLength: deps.config.http.importBodyLimit }),
          ])
          .describe('A JSON array of researcher bodies, or the CSV text'),
        response: { 201: importResultSchema, ...standardProblems, 422: problemSchema, ...notFound, ...conflict, 413: problemSchema, 415: problemSchema },
      },
    },
    async (request, reply) => {
      assertManagesInstitution(request.user, request.params.id);
      const body = request.body;
      // Fastify reads text/plain as a string too: CSV must say it is CSV.
      if (typeof body === 'string' && !/^text\/csv\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
        throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'Send the import as application/json (an array) or text/csv');
      }
      const started = Date.now();
      const result = await idempotent(db, request, reply, async (tx) => ({
        status: 201,
        body: await researchers.importRows(tx, request.user, request.params.id, body),
      }));
      request.log.info({ created: result.created, ms: Date.now() - started }, 'researcher import');
      return result;
    },
  );

  // ---- read and update ---------------------------------------------------------------------

  app.get(
    '/v1/researchers/:id',
    {
      config: { auth: ['supervisor', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['researchers'],
        summary: 'Read a researcher',
        description:
          'Supervisors, the admin of their institution, and the researcher themself. Anyone else: 404. A supervisor also sees, on each document, the other researchers who registered the same document (`otherHolders`).',
        params: idParams,
        response: { 200: researcherSchema, ...standardProblems, ...notFound },
      },
    },
    async (request, reply) => {
      const { view, version } = await researchers.read(request.user, request.params.id);
      reply.header('etag', etagOf(version));
      return view;
    },
  );

  app.patch(
    '/v1/researchers/:id',
    {
      config: { auth: ['supervisor', 'institution_admin', 'researcher'] },
      schema: {
        tags: ['researchers'],
        summary: 'Update a researcher (If-Match required)',
        description: [
          'Status, institution, validity and ids are not fields of this request (422 naming the field): use the workflow actions.',
          'A researcher may change only their own email. Once a researcher has been vetted (no longer nominated), fullName, dateOfBirth and nationality are corrected by a supervisor only (409 IDENTITY_LOCKED). Revoked researchers do not change (409).',
        ].join('\n\n'),
        params: idParams,
        body: updateResearcherBody,
        response: { 200: researcherSchema, ...standardProblems, ...notFound, ...conflict, ...preconditions },
      },
    },
    async (request, reply) => {
      const { view, version } = await researchers.update(request.user, request.params.id, request.body, (v) => requireIfMatch(request, v));
      reply.header('etag', etagOf(version));
      return view;
    },
  );

  // ---- workflow ------------------------------------------------------------------------------

  for (const action of Object.keys(RESEARCHER_TRANSITIONS) as ResearcherAction[]) {
    const t = RESEARCHER_TRANSITIONS[action];
    const bodySchema = action === 'approve' ? approveBody : action === 'reinstate' ? optionalReasonBody : reasonBody;
    app.post(
      `/v1/researchers/:id/${action}`,
      {
        config: { auth: t.roles },
        schema: {
          tags: ['researchers'],
          summary: SUMMARIES[action],
          description: `From ${t.from.join(' or ')}; otherwise 409 INVALID_TRANSITION. If-Match is optional (412 when stale).`,
          params: idParams,
          body: bodySchema,
          response: { 200: researcherSchema, ...standardProblems, ...notFound, ...conflict, 412: problemSchema },
        },
      },
      async (request, reply) => {
        const input = (request.body ?? {}) as WorkflowInput;
        const { view, version } = await researchers.transition(action, request.user, request.params.id, input, (v) => optionalIfMatch(request, v));
        reply.header('etag', etagOf(version));
        return view;
      },
    );
  }

  // ---- identity documents -------------------------------------------------------------------

  app.post(
    '/v1/researchers/:id/documents',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['researchers'],
        summary: 'Add an identity document (e.g. a renewed passport)',
        description:
          'Answers the researcher with its documents. The document starts `pending`: it clears nobody until a supervisor approves it (with the nomination, or `…/documents/{documentId}/approve` once the researcher has been vetted). A document this institution already registered is a 409 DOCUMENT_ALREADY_REGISTERED; one held at another institution is accepted (the supervisor resolves it). Honours Idempotency-Key; If-Match optional.',
        params: idParams,
        body: documentBody,
        response: { 201: researcherSchema, ...standardProblems, ...notFound, ...conflict, 412: problemSchema },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async (tx) => {
        const { view, version, documentId } = await researchers.addDocument(tx, request.user, request.params.id, request.body, (v) =>
          optionalIfMatch(request, v),
        );
        return {
          status: 201,
          body: view,
          headers: { location: `/v1/researchers/${view.id}/documents/${documentId}`, etag: etagOf(version) },
        };
      }),
  );

  // ---- document vetting (supervisor) ---------------------------------------------------------

  for (const action of ['approve', 'reject'] as const) {
    app.post(
      `/v1/researchers/:id/documents/:documentId/${action}`,
      {
        config: { auth: ['supervisor'] },
        schema: {
          tags: ['researchers'],
          summary: action === 'approve' ? 'Approve a pending identity document' : 'Reject an identity document',
          description:
            action === 'approve'
              ? 'From `pending`; otherwise 409 INVALID_TRANSITION. When another researcher holds the same document approved: 409 DOCUMENT_HELD_ELSEWHERE (reject one of the two, or revoke the other holder, first). If-Match optional.'
              : 'From `pending` or `approved`, with a `reason`; otherwise 409 INVALID_TRANSITION. A rejected document clears nobody (DOCUMENT_NOT_APPROVED at the border). If-Match optional.',
          params: z.strictObject({ id: uuidParam, documentId: uuidParam }),
          body: action === 'approve' ? optionalReasonBody : reasonBody,
          response: { 200: researcherSchema, ...standardProblems, ...notFound, ...conflict, 412: problemSchema },
        },
      },
      async (request, reply) => {
        const reason = (request.body as { reason?: string } | null | undefined)?.reason;
        const { id, documentId } = request.params;
        const { view, version } = await researchers.vetDocument(action, request.user, id, documentId, reason, (v) => optionalIfMatch(request, v));
        reply.header('etag', etagOf(version));
        return view;
      },
    );
  }

  app.delete(
    '/v1/researchers/:id/documents/:documentId',
    {
      config: { auth: ['supervisor', 'institution_admin'] },
      schema: {
        tags: ['researchers'],
        summary: 'Remove an identity document',
        description: 'The last document of a researcher cannot be removed (409 LAST_DOCUMENT). If-Match optional.',
        params: z.strictObject({ id: uuidParam, documentId: uuidParam }),
        response: { 200: researcherSchema, ...standardProblems, ...notFound, ...conflict, 412: problemSchema },
      },
    },
    async (request, reply) => {
      const { id, documentId } = request.params;
      const { view, version } = await researchers.removeDocument(request.user, id, documentId, (v) => optionalIfMatch(request, v));
      reply.header('etag', etagOf(version));
      return view;
    },
  );
};
