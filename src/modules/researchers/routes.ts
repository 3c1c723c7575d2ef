import { and, eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appendAudit } from '../../audit/chain.js';
import { actorOf, type Principal } from '../../auth/principal.js';
import { assertManagesInstitution } from '../../auth/scope.js';
import { borderDate } from '../../domain/border.js';
import type { Conn } from '../../db/client.js';
import { identityDocuments, researchers } from '../../db/schema.js';
import type { ModuleOptions } from '../../deps.js';
import { AppError, ConflictError, type FieldError, NotFoundError, PreconditionFailedError, ValidationError } from '../../errors.js';
import { idParams, standardProblems, uuidParam } from '../../http/common.js';
import { etagOf, requireIfMatch } from '../../http/etag.js';
import { idempotent } from '../../http/idempotency.js';
import { pageOf, pageQuery } from '../../http/pagination.js';
import { problemSchema } from '../../http/problem.js';
import { getActiveInstitution, getInstitution } from '../institutions/queries.js';
import { importResearchers, MAX_IMPORT_ROWS } from './import.js';
import {
  approveDocuments,
  assertDocumentsFree,
  auditDocument,
  auditResearcher,
  documentRow,
  documentsOf,
  findResearcher,
  insertResearchers,
  listResearchers,
  otherHolders,
  presentResearcher,
  rejectDocument,
  researcherPage,
  type ResearcherRow,
  revokeDocuments,
  translateDocumentRace,
} from './queries.js';
import { checkDateOfBirth, checkDocument, checkResearcher, prcIdBirthDate } from './rules.js';
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
  type StoredResearcherStatus,
  updateResearcherBody,
} from './schemas.js';
import { fieldNamingValidatorCompiler, optionalIfMatch } from './validation.js';

const notFound = { 404: problemSchema };
const conflict = { 409: problemSchema };
const preconditions = { 412: problemSchema, 428: problemSchema };

const MAX_DOCUMENTS = 10;

/** Fields that identify the person: once customs has vetted them, only a supervisor corrects them. */
const IDENTITY_FIELDS = ['fullName', 'dateOfBirth', 'nationality'] as const;

interface Transition {
  from: readonly StoredResearcherStatus[];
  to: StoredResearcherStatus;
  roles: readonly ('supervisor' | 'institution_admin')[];
  summary: string;
}

const TRANSITIONS = {
  approve: {
    from: ['nominated', 'approved'],
    to: 'approved',
    roles: ['supervisor'],
    summary: 'Approve a nominated researcher with a validity window, or renew an approved one',
  },
  reject: { from: ['nominated'], to: 'rejected', roles: ['supervisor'], summary: 'Reject a nomination' },
  suspend: {
    from: ['approved'],
    to: 'suspended',
    roles: ['supervisor', 'institution_admin'],
    summary: 'Suspend an approved researcher (a supervisor, or the admin of their institution, e.g. for a leaver)',
  },
  reinstate: { from: ['suspended'], to: 'approved', roles: ['supervisor'], summary: 'Reinstate a suspended researcher' },
  revoke: {
    from: ['nominated', 'approved', 'rejected', 'suspended'],
    to: 'revoked',
    roles: ['supervisor'],
    summary: 'Revoke a researcher from the whitelist (final)',
  },
} as const satisfies Record<string, Transition>;

type Action = keyof typeof TRANSITIONS;

/**
 * Object scope of a researcher: supervisors see all, an institution admin its own
 * institution's, a researcher only self. Anything else is the same 404 as a
 * researcher that does not exist.
 */
function canSee(me: Principal, r: ResearcherRow): boolean {
  if (me.role === 'supervisor') return true;
  if (me.role === 'institution_admin') return me.institutionId === r.institutionId;
  if (me.role === 'researcher') return me.researcherId === r.id;
  return false;
}

function canManage(me: Principal, r: ResearcherRow): boolean {
  return me.role === 'supervisor' || (me.role === 'institution_admin' && me.institutionId === r.institutionId);
}

async function loadScoped(conn: Conn, me: Principal, id: string, forUpdate: boolean, manage = false): Promise<ResearcherRow> {
  const row = await findResearcher(conn, id, forUpdate);
  if (!row || !canSee(me, row) || (manage && !canManage(me, row))) throw new NotFoundError('Researcher');
  return row;
}

function invalidTransition(action: Action, status: string): ConflictError {
  return new ConflictError(`A researcher who is ${status} cannot be ${action === 'approve' ? 'approved' : `${action}${action.endsWith('e') ? 'd' : 'ed'}`}`, 'INVALID_TRANSITION');
}

export const researcherRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { deps }) => {
  const { db } = deps.database;
  const today = () => borderDate(deps.now());
  app.setValidatorCompiler(fieldNamingValidatorCompiler);

  // CSV for the bulk import, in this plugin only; the import route sets its own body limit.
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  async function present(conn: Conn, row: ResearcherRow) {
    const docs = (await documentsOf(conn, [row.id])).get(row.id) ?? [];
    return { view: presentResearcher(row, docs, today()), docs };
  }

  const audit = (conn: Conn, request: FastifyRequest, action: string, r: ResearcherRow, data: Record<string, unknown>) =>
    appendAudit(
      conn,
      { actor: actorOf(request.user), role: request.user.role, action, subject: `researcher:${r.id}`, data },
      deps.now(),
    );

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
      const me = request.user;
      assertManagesInstitution(me, request.params.id);
      const body = request.body;
      try {
        return await idempotent(db, request, reply, async (tx) => {
          await getActiveInstitution(tx, request.params.id);
          const now = deps.now();
          const errors = checkResearcher(body, borderDate(now));
          if (errors.length > 0) throw new ValidationError(errors);
          await assertDocumentsFree(tx, request.params.id, body.documents, (i) => `documents.${i}.number`);
          const [created] = await insertResearchers(tx, request.params.id, [body], now);
          const { researcher, documents } = created!;
          await audit(tx, request, 'researcher.nominate', researcher, { after: auditResearcher(researcher, documents) });
          return {
            status: 201,
            body: presentResearcher(researcher, documents, borderDate(now)),
            headers: { location: `/v1/researchers/${researcher.id}`, etag: etagOf(researcher.version) },
          };
        });
      } catch (err) {
        throw translateDocumentRace(err);
      }
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
    async (request) => {
      const me = request.user;
      assertManagesInstitution(me, request.params.id);
      // Lists may be served by a read replica.
      const conn = deps.database.readDb;
      await getInstitution(conn, request.params.id);
      const day = today();
      const { rows, nextCursor } = await listResearchers(conn, request.params.id, request.query, day);
      const docs = await documentsOf(conn, rows.map((r) => r.id));
      return {
        items: rows.map((r) => ({
          ...presentResearcher(r, docs.get(r.id) ?? [], day),
          ...(r.score !== undefined ? { score: r.score } : {}),
        })),
        nextCursor,
      };
    },
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
    async (request) => {
      const me = request.user;
      const { institutionId, ...opts } = request.query;
      const scope = me.role === 'supervisor' ? institutionId : (institutionId ?? me.institutionId);
      if (scope !== undefined) assertManagesInstitution(me, scope);
      // An admin's token always names its institution; refuse rather than list everyone if it ever does not.
      if (scope === undefined && me.role !== 'supervisor') throw new NotFoundError('Institution');
      const conn = deps.database.readDb;
      if (scope !== undefined) await getInstitution(conn, scope);
      return researcherPage(conn, scope, opts, today());
    },
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
      const me = request.user;
      assertManagesInstitution(me, request.params.id);
      const body = request.body;
      // Fastify reads text/plain as a string too: CSV must say it is CSV.
      if (typeof body === 'string' && !/^text\/csv\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
        throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'Send the import as application/json (an array) or text/csv');
      }
      const started = Date.now();
      const result = await idempotent(db, request, reply, async (tx) => {
        const imported = await importResearchers(
          tx,
          typeof body === 'string' ? { kind: 'csv', text: body } : { kind: 'json', rows: body },
          { institutionId: request.params.id, actor: actorOf(me), role: me.role, now: deps.now() },
        );
        return { status: 201, body: imported };
      });
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
      const row = await loadScoped(db, request.user, request.params.id, false);
      reply.header('etag', etagOf(row.version));
      const { view, docs } = await present(db, row);
      if (request.user.role !== 'supervisor') return view;
      // The supervisor resolves documents held by several researchers: show who else holds each.
      const holders = await otherHolders(db, docs);
      return {
        ...view,
        documents: view.documents.map((d) => {
          const others = holders.get(d.id) ?? [];
          return others.length > 0 ? { ...d, otherHolders: others } : d;
        }),
      };
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
      const me = request.user;
      const body = request.body;
      const given = Object.keys(body) as (keyof typeof body)[];
      if (me.role === 'researcher') {
        const refused = given.filter((k) => k !== 'email');
        if (refused.length > 0) {
          throw new ValidationError(
            refused.map((k) => ({ path: k, message: 'a researcher can change only their email; ask your institution to correct it' })),
          );
        }
      }
      const result = await db.transaction(async (tx) => {
        const before = await loadScoped(tx, me, request.params.id, true);
        const version = requireIfMatch(request, before.version);
        const changes: Partial<ResearcherRow> = {};
        for (const k of given) {
          const value = body[k];
          if (value !== undefined && value !== before[k]) (changes as Record<string, unknown>)[k] = value;
        }
        const changed = Object.keys(changes);
        if (changed.length === 0) return before;
        if (before.status === 'revoked') {
          throw new ConflictError('A revoked researcher does not change', 'RESEARCHER_REVOKED');
        }
        if (me.role !== 'supervisor' && before.status !== 'nominated') {
          const locked = IDENTITY_FIELDS.filter((f) => f in changes);
          if (locked.length > 0) {
            throw new ConflictError(
              `Customs has vetted this researcher: ${locked.join(', ')} can now be corrected by a supervisor only`,
              'IDENTITY_LOCKED',
              locked.map((f) => ({ path: f, message: 'is locked after vetting' })),
            );
          }
        }
        const docs = (await documentsOf(tx, [before.id])).get(before.id) ?? [];
        if (changes.dateOfBirth !== undefined) {
          const errors: FieldError[] = checkDateOfBirth(changes.dateOfBirth, today());
          if (docs.some((d) => d.kind === 'prc_id' && prcIdBirthDate(d.number) !== changes.dateOfBirth)) {
            errors.push({ path: 'dateOfBirth', message: 'does not match the birth date inside the registered PRC ID' });
          }
          if (errors.length > 0) throw new ValidationError(errors);
        }
        const [after] = await tx
          .update(researchers)
          .set({ ...changes, version: version + 1, updatedAt: deps.now() })
          .where(and(eq(researchers.id, before.id), eq(researchers.version, version)))
          .returning();
        if (!after) throw new PreconditionFailedError();
        await audit(tx, request, 'researcher.update', after, {
          changed,
          before: auditResearcher(before),
          after: auditResearcher(after),
        });
        return after;
      });
      reply.header('etag', etagOf(result.version));
      return (await present(db, result)).view;
    },
  );

  // ---- workflow ------------------------------------------------------------------------------

  for (const action of Object.keys(TRANSITIONS) as Action[]) {
    const t: Transition = TRANSITIONS[action];
    const bodySchema = action === 'approve' ? approveBody : action === 'reinstate' ? optionalReasonBody : reasonBody;
    app.post(
      `/v1/researchers/:id/${action}`,
      {
        config: { auth: t.roles },
        schema: {
          tags: ['researchers'],
          summary: t.summary,
          description: `From ${t.from.join(' or ')}; otherwise 409 INVALID_TRANSITION. If-Match is optional (412 when stale).`,
          params: idParams,
          body: bodySchema,
          response: { 200: researcherSchema, ...standardProblems, ...notFound, ...conflict, 412: problemSchema },
        },
      },
      async (request, reply) => {
        const me = request.user;
        const input = (request.body ?? {}) as { reason?: string; validFrom?: string; validUntil?: string };
        const row = await db.transaction(async (tx) => {
          const before = await loadScoped(tx, me, request.params.id, true, true);
          optionalIfMatch(request, before.version);
          if (!(t.from as readonly string[]).includes(before.status)) throw invalidTransition(action, before.status);
          const now = deps.now();
          const day = borderDate(now);
          const changes: Partial<ResearcherRow> = { status: t.to, statusReason: input.reason ?? null };
          let renewal = false;
          const documentChanges: { id: string; status: string }[] = [];
          if (action === 'approve') {
            const validFrom = input.validFrom ?? day;
            const validUntil = input.validUntil!;
            const errors: FieldError[] = [];
            if (validUntil < day) errors.push({ path: 'validUntil', message: 'is in the past' });
            else if (validUntil < validFrom) errors.push({ path: 'validUntil', message: 'must be on or after validFrom' });
            if (errors.length > 0) throw new ValidationError(errors);
            await getActiveInstitution(tx, before.institutionId).catch((err: unknown) => {
              if (err instanceof ConflictError) {
                throw new ConflictError('The institution is suspended: its researchers cannot be approved', 'INSTITUTION_SUSPENDED');
              }
              throw err;
            });
            const docs = (await documentsOf(tx, [before.id])).get(before.id) ?? [];
            if (!docs.some((d) => d.expiresOn >= day && d.status !== 'rejected')) {
              throw new ConflictError('Every identity document of this researcher has expired or was rejected: add a valid one first', 'NO_VALID_DOCUMENT');
            }
            changes.validFrom = validFrom;
            changes.validUntil = validUntil;
            renewal = before.status === 'approved';
            // A nomination is vetted with its documents; documents added later are approved one by one.
            if (!renewal) {
              const approved = await approveDocuments(tx, docs.filter((d) => d.status === 'pending'), (d) => `documents.${docs.indexOf(d)}.number`);
              documentChanges.push(...approved.map((d) => ({ id: d.id, status: d.status })));
            }
          }
          if (action === 'revoke') {
            const revoked = await revokeDocuments(tx, before.id);
            documentChanges.push(...revoked.map((d) => ({ id: d.id, status: d.status })));
          }
          const [after] = await tx
            .update(researchers)
            .set({ ...changes, version: before.version + 1, updatedAt: now })
            .where(and(eq(researchers.id, before.id), eq(researchers.version, before.version)))
            .returning();
          if (!after) throw new PreconditionFailedError();
          await audit(tx, request, `researcher.${action}`, after, {
            ...(input.reason !== undefined ? { reason: input.reason } : {}),
            ...(renewal ? { renewal: true } : {}),
            ...(documentChanges.length > 0 ? { documents: documentChanges } : {}),
            before: auditResearcher(before),
            after: auditResearcher(after),
          });
          return after;
        });
        reply.header('etag', etagOf(row.version));
        return (await present(db, row)).view;
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
    async (request, reply) => {
      const me = request.user;
      const doc = request.body;
      try {
        return await idempotent(db, request, reply, async (tx) => {
          const before = await loadScoped(tx, me, request.params.id, true, true);
          optionalIfMatch(request, before.version);
          if (before.status === 'revoked') throw new ConflictError('A revoked researcher does not change', 'RESEARCHER_REVOKED');
          const now = deps.now();
          const errors = checkDocument(doc, borderDate(now), before.dateOfBirth, '');
          if (errors.length > 0) throw new ValidationError(errors);
          const existing = (await documentsOf(tx, [before.id])).get(before.id) ?? [];
          if (existing.length >= MAX_DOCUMENTS) {
            throw new ConflictError(`A researcher has at most ${MAX_DOCUMENTS} identity documents: remove one first`, 'TOO_MANY_DOCUMENTS');
          }
          await assertDocumentsFree(tx, before.institutionId, [doc], () => 'number');
          const row = documentRow(before.id, before.institutionId, doc, now);
          await tx.insert(identityDocuments).values(row);
          const [after] = await tx
            .update(researchers)
            .set({ version: before.version + 1, updatedAt: now })
            .where(eq(researchers.id, before.id))
            .returning();
          await audit(tx, request, 'researcher.document_add', after!, { document: auditDocument(row) });
          const docs = [...existing, row];
          return {
            status: 201,
            body: presentResearcher(after!, docs, borderDate(now)),
            headers: { location: `/v1/researchers/${before.id}/documents/${row.id}`, etag: etagOf(after!.version) },
          };
        });
      } catch (err) {
        throw translateDocumentRace(err);
      }
    },
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
        const me = request.user;
        const reason = (request.body as { reason?: string } | null | undefined)?.reason;
        const result = await db.transaction(async (tx) => {
          const before = await loadScoped(tx, me, request.params.id, true, true);
          optionalIfMatch(request, before.version);
          if (before.status === 'revoked') throw new ConflictError('A revoked researcher does not change', 'RESEARCHER_REVOKED');
          const docs = (await documentsOf(tx, [before.id])).get(before.id) ?? [];
          const doc = docs.find((d) => d.id === request.params.documentId);
          if (!doc) throw new NotFoundError('Identity document');
          const from = action === 'approve' ? ['pending'] : ['pending', 'approved'];
          if (!from.includes(doc.status)) {
            throw new ConflictError(`A document that is ${doc.status} cannot be ${action === 'approve' ? 'approved' : 'rejected'}`, 'INVALID_TRANSITION');
          }
          const [changed] =
            action === 'approve' ? await approveDocuments(tx, [doc], () => 'documentId') : [await rejectDocument(tx, doc.id, reason!)];
          const now = deps.now();
          const [after] = await tx
            .update(researchers)
            .set({ version: before.version + 1, updatedAt: now })
            .where(eq(researchers.id, before.id))
            .returning();
          await audit(tx, request, `researcher.document_${action}`, after!, {
            ...(reason !== undefined ? { reason } : {}),
            document: auditDocument(changed!),
            before: { status: doc.status },
          });
          return { row: after!, docs: docs.map((d) => (d.id === changed!.id ? changed! : d)) };
        });
        reply.header('etag', etagOf(result.row.version));
        return presentResearcher(result.row, result.docs, today());
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
      const me = request.user;
      const result = await db.transaction(async (tx) => {
        const before = await loadScoped(tx, me, request.params.id, true, true);
        optionalIfMatch(request, before.version);
        if (before.status === 'revoked') throw new ConflictError('A revoked researcher does not change', 'RESEARCHER_REVOKED');
        const docs = (await documentsOf(tx, [before.id])).get(before.id) ?? [];
        const doc = docs.find((d) => d.id === request.params.documentId);
        if (!doc) throw new NotFoundError('Identity document');
        if (docs.length === 1) {
          throw new ConflictError('A researcher keeps at least one identity document: add the new one first', 'LAST_DOCUMENT');
        }
        await tx.delete(identityDocuments).where(eq(identityDocuments.id, doc.id));
        const now = deps.now();
        const [after] = await tx
          .update(researchers)
          .set({ version: before.version + 1, updatedAt: now })
          .where(eq(researchers.id, before.id))
          .returning();
        await audit(tx, request, 'researcher.document_remove', after!, { document: auditDocument(doc) });
        return { row: after!, docs: docs.filter((d) => d.id !== doc.id) };
      });
      reply.header('etag', etagOf(result.row.version));
      return presentResearcher(result.row, result.docs, today());
    },
  );
};
