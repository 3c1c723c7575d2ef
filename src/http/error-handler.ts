import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { databaseErrorKind } from '../db/errors.js';
import { AppError, type FieldError, ServiceUnavailableError } from '../errors.js';
import { fieldSentence, requiredMessage } from '../lib/messages.js';
import { type Problem, problemType } from './problem.js';

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';

function pointerToPath(pointer: string): string {
  return pointer
    .replace(/^\//, '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  title: string,
  detail: string,
  errors?: FieldError[],
  headers?: Record<string, string>,
): FastifyReply {
  const body: Problem = {
    type: problemType(code),
    title,
    status,
    detail,
    code,
    instance: request.url.split('?')[0],
    requestId: request.id,
  };
  if (errors && errors.length > 0) body.errors = errors;
  if (headers) reply.headers(headers);
  return reply.code(status).type(PROBLEM_JSON).serializer(JSON.stringify).send(body);
}

/** The fields of a route's JSON body, `?` after the optional ones: `{validFrom?, validUntil}`. */
export function bodySketch(schema: unknown): string {
  let s = schema as z.core.$ZodType | undefined;
  for (let depth = 0; s?._zod && depth < 10; depth++) {
    type Def = { type: string; in?: z.core.$ZodType; innerType?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    const def = s._zod.def as Def;
    if (def.type === 'pipe') s = def.in;
    else if (def.innerType) s = def.innerType;
    else if (def.type === 'object' && def.shape) {
      return `{${Object.entries(def.shape).map(([k, v]) => (v._zod.optin === 'optional' ? `${k}?` : k)).join(', ')}}`;
    } else if (def.type === 'array' && def.element) return `[${bodySketch(def.element)}]`;
    else break;
  }
  return '{…}';
}

/** The value at a JSON pointer of what the request sent, or undefined. */
function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const key of pointerToPath(pointer).split('.').filter((k) => k !== '')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** The media types a route reads, for a 415 (text/plain is read too, but no route wants it). */
function acceptedMediaTypes(request: FastifyRequest): string[] {
  return ['application/json', 'text/csv'].filter((t) => request.server.hasContentTypeParser(t));
}

function toProblem(err: FastifyError | Error, request: FastifyRequest): {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
} {
  if (err instanceof AppError) {
    return {
      status: err.status,
      code: err.code,
      title: err.title,
      detail: err.detail,
      ...(err.errors ? { errors: err.errors } : {}),
      ...(err.headers ? { headers: err.headers } : {}),
    };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as FastifyError).validationContext ?? 'body';
    const root = err.validation.find((v) => pointerToPath(v.instancePath) === '' && v.keyword === 'invalid_type');
    if (where === 'body' && root) {
      // No body, or not an object: say what the route reads rather than "expected object, received null".
      const sketch = bodySketch(request.routeOptions.schema?.body);
      const missing = request.body === undefined || request.body === null;
      const message = missing ? `is required: this request needs a JSON body: ${sketch}` : `must be a JSON ${sketch.startsWith('[') ? 'array' : 'object'}: ${sketch}`;
      return {
        status: 422,
        code: 'VALIDATION_FAILED',
        title: 'Request validation failed',
        detail: missing
          ? `This request needs a JSON body (Content-Type: application/json): ${sketch}`
          : `The body ${message}`,
        errors: [{ path: 'body', message }],
      };
    }
    const sent = { body: request.body, querystring: request.query, params: request.params, headers: request.headers }[where];
    const errors = err.validation.map((v) => {
      const path = pointerToPath(v.instancePath) || where;
      // A field that was not sent is "required", whatever message its schema has for a bad value.
      const missing = v.keyword === 'invalid_type' && path !== where && valueAt(sent, v.instancePath) === undefined;
      return { path, message: missing ? requiredMessage(path.split('.').pop()) : (v.message ?? 'is invalid') };
    });
    return {
      status: 422,
      code: 'VALIDATION_FAILED',
      title: 'Request validation failed',
      detail:
        errors.length === 1
          ? `${where === 'body' ? '' : `${where} `}${fieldSentence(errors[0]!.path, errors[0]!.message)}`
          : `${errors.length} fields of the ${where} are invalid: ${errors.map((e) => e.path).join(', ')}`,
      errors,
    };
  }
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'MALFORMED_JSON', title: 'Malformed JSON', detail: 'The request body is not valid JSON' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'MALFORMED_JSON', title: 'Malformed JSON', detail: 'The request body is empty but its content type is JSON' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', title: 'Payload too large', detail: 'The request body exceeds the limit of this route' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? {
            status: 415,
            code: 'UNSUPPORTED_MEDIA_TYPE',
            title: 'Unsupported media type',
            detail: `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here: send ${acceptedMediaTypes(request).join(' or ') || 'application/json'}`,
          }
        : { status: 400, code: 'BAD_REQUEST', title: 'Bad request', detail: 'Content-Length does not match the body' };
    case 'FST_ERR_CTP_INVALID_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_TYPE':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported media type', detail: 'The Content-Type header is invalid' };
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return { status: 400, code: 'BAD_REQUEST', title: 'Bad request', detail: 'The request URL is malformed' };
    case 'FST_ERR_RATE_LIMIT_EXCEEDED':
      return { status: 429, code: 'RATE_LIMITED', title: 'Too many requests', detail: 'Too many requests, slow down' };
    default:
      break;
  }
  if (typeof fe.code === 'string' && (fe.code.startsWith('FST_JWT_') || fe.code.startsWith('FAST_JWT_'))) {
    const expired = fe.code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED' || fe.code === 'FAST_JWT_EXPIRED';
    return {
      status: 401,
      code: expired ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED',
      title: 'Unauthorized',
      detail: expired ? 'The token has expired' : 'A valid Bearer token is required',
      headers: { 'www-authenticate': 'Bearer' },
    };
  }
  // The client's connection went (or was cut: BODY_TIMEOUT_MS) while its body was read: not the database's ECONNRESET.
  if (fe.code === 'ECONNRESET' && request.raw.aborted) {
    return { status: 400, code: 'REQUEST_ABORTED', title: 'Request aborted', detail: 'The connection closed before the request arrived in full' };
  }
  switch (databaseErrorKind(err)) {
    case 'unavailable': {
      const e = new ServiceUnavailableError();
      return { status: e.status, code: e.code, title: e.title, detail: e.detail, ...(e.headers ? { headers: e.headers } : {}) };
    }
    case 'unique_violation':
      return { status: 409, code: 'CONFLICT', title: 'Conflict', detail: 'A record with the same unique value already exists' };
    case 'concurrent_update':
      return { status: 409, code: 'CONCURRENT_UPDATE', title: 'Conflict', detail: 'A concurrent change got there first; retry the request' };
    case 'statement_timeout':
      return { status: 503, code: 'SERVICE_UNAVAILABLE', title: 'Service unavailable', detail: 'The database took too long to answer', headers: { 'retry-after': '2' } };
    default:
      break;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 && !isResponseSerializationError(err)) {
    return { status: fe.statusCode, code: 'BAD_REQUEST', title: 'Bad request', detail: fe.message };
  }
  return { status: 500, code: 'INTERNAL', title: 'Internal server error', detail: 'An unexpected error occurred; it has been logged' };
}

async function errorHandlerPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const p = toProblem(err, request);
    if (p.status === 503) {
      request.log.warn({ code: p.code }, 'database unavailable');
    } else if (p.status >= 500) {
      request.log.error({ err }, 'request failed');
    } else if (p.status !== 404) {
      request.log.info({ code: p.code, status: p.status }, 'request refused');
    }
    return sendProblem(request, reply, p.status, p.code, p.title, p.detail, p.errors, p.headers);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, 'ROUTE_NOT_FOUND', 'Not found', `No route ${request.method} ${request.url.split('?')[0]}`),
  );
}

/** Registered through fp at the root so that every encapsulated route uses it. */
export const errorHandler = fp(errorHandlerPlugin, { name: 'error-handler' });
