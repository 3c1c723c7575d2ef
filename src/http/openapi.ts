import type { RouteOptions } from 'fastify';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { problemSchema } from './problem.js';

/**
 * The OpenAPI side of the service: what every operation documents beyond its own
 * schemas (the problem answers the framework can give, operationId, security), and
 * the finishing of the generated document. `npm run lint:api` checks the result
 * with Spectral (spectral:oas + the OWASP API Security ruleset, see .spectral.yaml).
 */

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const retryAfter = {
  'Retry-After': {
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: 86_400,
    description: 'Seconds to wait before retrying',
  },
};

/** What each problem status means in this API, for the document. */
const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: malformed JSON, an invalid cursor or Idempotency-Key, or a malformed URL',
  401: 'Unauthorized: the Bearer token (or the credentials) is missing, invalid or expired, or its account is disabled',
  403: 'Forbidden: the role or scope of the token does not allow this',
  404: 'Not found, or not visible to this caller',
  409: 'Conflict: a duplicate, a state that does not allow this, or an Idempotency-Key reused with another body',
  412: 'Precondition failed: If-Match does not match the current ETag',
  413: 'Payload too large: the body exceeds the limit of this route',
  415: 'Unsupported media type',
  422: 'Validation failed: `errors` names every bad field',
  428: 'Precondition required: the If-Match (updates) or Idempotency-Key (crossings) header is missing',
  429: 'Too many requests: wait for Retry-After seconds',
  500: 'Internal error: logged on the server, no details in the answer',
  503: 'Service unavailable: the database does not answer; retry after Retry-After seconds',
};

const HEADERS_BY_STATUS: Record<number, Record<string, unknown>> = { 429: retryAfter, 503: retryAfter };

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface ContentResponse {
  description?: string;
  headers?: Record<string, unknown>;
  content: Record<string, { schema: unknown }>;
}

const isContentResponse = (v: unknown): v is ContentResponse =>
  typeof v === 'object' && v !== null && 'content' in v && typeof (v as { content: unknown }).content === 'object';

function problemResponse(status: number, schema: unknown = problemSchema): ContentResponse {
  const headers = HEADERS_BY_STATUS[status];
  return {
    description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem details',
    ...(headers ? { headers } : {}),
    content: { [PROBLEM_MEDIA_TYPE]: { schema } },
  };
}

/** `POST /v1/institutions/:id/researchers/import` → `postInstitutionsByIdResearchersImport`. */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s) => s !== '' && s !== 'v1')
    .flatMap((s) => (s.startsWith(':') ? ['by', s.slice(1)] : s.split(/[^A-Za-z0-9]+/)))
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

/**
 * An onRoute hook: completes each documented route's schema with what the error
 * handler and the framework can answer on it, every problem as
 * application/problem+json with the Problem schema. Problems are sent by
 * sendProblem with an explicit JSON.stringify serializer, so these schemas only
 * document: they never reshape an error answer.
 *
 * - 401, 403 on every route that needs a token; `security` follows `config.auth`
 * - 400, 422 on every route that takes input; 413, 415 on every route that reads a body
 * - 429 wherever the per-address limit applies (everything but /health)
 * - 500 everywhere; 503 wherever the database is needed (everything but /health/live)
 */
export function documentStandardResponses(route: RouteOptions): void {
  const schema = route.schema as (Record<string, unknown> & { response?: Record<string, unknown> }) | undefined;
  if (!schema || schema.hide || route.url.startsWith('/docs')) return;
  const auth = route.config?.auth;
  const isPublic = auth === 'public';
  const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toUpperCase());
  const takesBody = methods.some((m) => BODY_METHODS.has(m));
  const takesInput = takesBody || schema.querystring !== undefined || schema.params !== undefined || schema.headers !== undefined;
  const isHealth = route.url.startsWith('/health');

  const statuses = new Set<number>([500]);
  if (!isPublic) [401, 403].forEach((s) => statuses.add(s));
  if (takesInput) [400, 422].forEach((s) => statuses.add(s));
  if (takesBody) [413, 415].forEach((s) => statuses.add(s));
  if (!isHealth) statuses.add(429);
  if (route.url !== '/health/live') statuses.add(503);

  const response: Record<string, unknown> = { ...(schema.response ?? {}) };
  // Problems a route declares itself (a zod schema of their own) keep their schema.
  for (const [code, value] of Object.entries(response)) {
    if (Number(code) >= 400 && !isContentResponse(value)) response[code] = problemResponse(Number(code), value);
  }
  for (const status of statuses) {
    if (!(String(status) in response)) response[String(status)] = problemResponse(status);
  }

  route.schema = {
    ...schema,
    operationId: (schema.operationId as string | undefined) ?? operationIdOf(methods[0]!, route.url),
    security: (schema.security as Array<Record<string, string[]>> | undefined) ?? (isPublic ? [] : [{ bearerAuth: [] }]),
    response,
  };
}

/** A CSV a newcomer can send from Swagger UI as it is (RFC 4180, header first). */
export const IMPORT_CSV_EXAMPLE = [
  'fullName,nameZh,dateOfBirth,nationality,email,documentKind,documentNumber,issuingCountry,expiresOn',
  'CHAN TAI MAN,陳大文,1985-04-12,HKG,tm.chan@example.edu.hk,hkid,A123456(3),,2040-01-01',
  'SMITH JOHN,,1980-02-29,GBR,john.smith@example.ac.uk,passport,533380006,GBR,2034-12-31',
  '',
].join('\r\n');

const IMPORT_JSON_EXAMPLE = [
  {
    fullName: 'CHAN TAI MAN',
    nameZh: '陳大文',
    dateOfBirth: '1985-04-12',
    nationality: 'HKG',
    email: 'tm.chan@example.edu.hk',
    documents: [{ kind: 'hkid', number: 'A123456(3)', expiresOn: '2040-01-01' }],
  },
];

/**
 * Request bodies documented per media type. The zod transform writes one schema for
 * every type a route reads (the import's `array | string`); here each type gets its
 * own branch and an example, so that Swagger UI offers `text/csv` and can send it.
 */
const BODY_MEDIA: Record<string, { description: string; media: Record<string, { branch: 'array' | 'string'; example: unknown }> }> = {
  'POST /v1/institutions/:id/researchers/import': {
    description: 'A JSON array of researcher bodies, or the CSV text (header first, one researcher and one document per row)',
    media: {
      'application/json': { branch: 'array', example: IMPORT_JSON_EXAMPLE },
      'text/csv': { branch: 'string', example: IMPORT_CSV_EXAMPLE },
    },
  },
};

function bodyByMedia(key: string, body: unknown): unknown {
  const spec = BODY_MEDIA[key];
  const branches = (body as { anyOf?: { type?: string }[] } | undefined)?.anyOf;
  if (!spec || !Array.isArray(branches)) return body;
  const content: Record<string, { schema: unknown }> = {};
  for (const [mediaType, { branch, example }] of Object.entries(spec.media)) {
    const schema = branches.find((b) => b.type === branch);
    if (!schema) throw new Error(`${key}: no ${branch} branch in the body schema for ${mediaType}`);
    content[mediaType] = { schema: { ...schema, description: spec.description, examples: [example] } };
  }
  return { content };
}

/**
 * The zod route transform, keeping the response `headers` that it drops from
 * content-type responses (Retry-After on 429 and 503), and writing the bodies of
 * BODY_MEDIA per media type.
 */
export const openApiRouteTransform: typeof jsonSchemaTransform = (input) => {
  const out = jsonSchemaTransform(input);
  const method = [input.route.method].flat()[0];
  const key = `${String(method).toUpperCase()} ${input.url}`;
  const outSchema = out.schema as { body?: unknown } | undefined;
  if (outSchema?.body !== undefined && key in BODY_MEDIA) outSchema.body = bodyByMedia(key, outSchema.body);
  const declared = (input.schema as { response?: Record<string, unknown> } | undefined)?.response;
  const transformed = (out.schema as { response?: Record<string, Record<string, unknown>> } | undefined)?.response;
  if (declared && transformed) {
    for (const [code, value] of Object.entries(declared)) {
      if (isContentResponse(value) && value.headers && transformed[code]) transformed[code].headers = value.headers;
    }
  }
  return out;
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * Facts that a schema implies but zod does not write down: the integer format
 * that its bounds fit, and the length of a string whose format fixes it (a
 * UUID is 36 characters, a date YYYY-MM-DD 10; zod's pattern enforces both).
 */
function addImpliedBounds(node: Json): void {
  if (Array.isArray(node)) {
    node.forEach(addImpliedBounds);
    return;
  }
  if (!isObject(node)) return;
  if (node.type === 'integer' && node.format === undefined) {
    const min = typeof node.minimum === 'number' ? node.minimum : -Infinity;
    const max = typeof node.maximum === 'number' ? node.maximum : Infinity;
    node.format = min >= INT32_MIN && max <= INT32_MAX ? 'int32' : 'int64';
  }
  if (node.type === 'string' && node.maxLength === undefined && typeof node.pattern === 'string') {
    if (node.format === 'uuid') node.maxLength = 36;
    if (node.format === 'date') node.maxLength = 10;
  }
  for (const value of Object.values(node)) addImpliedBounds(value);
}

function collectRefs(node: Json, into: Set<string>): void {
  if (Array.isArray(node)) {
    node.forEach((n) => collectRefs(n, into));
    return;
  }
  if (!isObject(node)) return;
  if (typeof node.$ref === 'string') into.add(node.$ref);
  for (const value of Object.values(node)) collectRefs(value, into);
}

/**
 * Drops the component schemas nothing refers to. Every named zod schema is
 * generated twice (`X` for answers, `XInput` for requests), and most are used in
 * one direction only.
 */
function pruneUnusedSchemas(doc: JsonObject): void {
  const components = doc.components;
  if (!isObject(components) || !isObject(components.schemas)) return;
  const schemas = components.schemas;
  const prefix = '#/components/schemas/';
  const used = new Set<string>();
  const roots = new Set<string>();
  collectRefs({ ...doc, components: { ...components, schemas: {} } }, roots);
  const queue = [...roots].filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length));
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (used.has(name) || schemas[name] === undefined) continue;
    used.add(name);
    const refs = new Set<string>();
    collectRefs(schemas[name]!, refs);
    for (const r of refs) if (r.startsWith(prefix)) queue.push(r.slice(prefix.length));
  }
  components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
}

/** The zod document transform, then unused components dropped and implied bounds written down. */
export const openApiDocumentTransform: typeof jsonSchemaTransformObject = (input) => {
  const doc = JSON.parse(JSON.stringify(jsonSchemaTransformObject(input))) as JsonObject;
  pruneUnusedSchemas(doc);
  addImpliedBounds(doc.paths ?? null);
  addImpliedBounds(doc.components ?? null);
  return doc as unknown as ReturnType<typeof jsonSchemaTransformObject>;
};

/** Tags, in the order the Swagger UI lists them. */
const TAGS = [
  { name: 'auth', description: 'Access tokens for people (password) and institution systems (client credentials)' },
  { name: 'users', description: 'Accounts, their roles and scope, and institution API clients' },
  { name: 'checkpoints', description: 'The SZ–HK control points' },
  { name: 'institutions', description: 'Universities, laboratories and companies on the whitelist' },
  { name: 'researchers', description: 'Whitelisted staff, their identity documents and the approval workflow' },
  { name: 'items', description: 'Equipment, reagents, biological samples and data, and their approval workflow' },
  { name: 'clearance', description: 'Traveller lookup at the border, crossings and inspections' },
  { name: 'reports', description: 'Overdue returns and checkpoint statistics' },
  { name: 'audit', description: 'The hash-chained audit log' },
  { name: 'health', description: 'Liveness and readiness probes' },
];

/** Options of @fastify/swagger: the document's head, and the transforms above. */
export function swaggerOptions(): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hetao clearance API',
        description:
          'The customs whitelist and clearance decisions for the Hetao Shenzhen–Hong Kong science and technology zone (河套深港科技创新合作区).\n\n' +
          'Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`.',
        version: '1.0.0',
        contact: { name: 'Hetao clearance service team' },
      },
      servers: [
        {
          url: '/',
          description:
            'This deployment, relative to where the document is served: local and test instances over plain HTTP, production only over HTTPS (TLS is terminated in front of the service)',
          'x-internal': false,
        } as { url: string; description: string },
      ],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'A short-lived access token from POST /v1/auth/token, a JWS following the JWT best current practices of RFC8725: ' +
              'the algorithm is pinned (HS256; `none` and every other algorithm are refused), `iss`, `aud`, `exp` and `sub` are ' +
              'required and checked, and the account behind the token must still be active.',
          },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: openApiRouteTransform,
    transformObject: openApiDocumentTransform,
  };
}
