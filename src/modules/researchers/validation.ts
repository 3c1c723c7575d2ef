import type { FastifyRequest, FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { FieldError } from '../../errors.js';
import { requireIfMatch } from '../../http/etag.js';

/** The marker fastify-type-provider-zod puts on its validation errors (the root error handler looks for it). */
const ZOD_ERROR = Symbol.for('ZodFastifySchemaValidationError');

/** Why a field that a caller tried to set is refused: mass assignment is answered field by field. */
const REFUSED_FIELD_HINTS: Record<string, string> = {
  id: 'is assigned by the service and cannot be set',
  status: 'is changed only through the workflow actions (approve, reject, suspend, reinstate, revoke)',
  statusReason: 'is recorded by the workflow actions',
  institutionId: 'cannot be set or changed here: it comes from the path',
  validFrom: 'is set when a supervisor approves',
  validUntil: 'is set when a supervisor approves',
  documents: 'cannot be changed here: use POST and DELETE /v1/researchers/{id}/documents',
  version: 'is managed by the service: send the ETag in If-Match instead',
  createdAt: 'is managed by the service',
  updatedAt: 'is managed by the service',
};

export function refusedFieldMessage(key: string): string {
  return REFUSED_FIELD_HINTS[key] ?? 'is not a field of this request';
}

/**
 * zod's strict objects report all unknown keys in one issue at the object's own
 * path. Split it into one error per key, at the key's path, so that a refused
 * field (`status`, `institutionId`…) is named in `errors[].path`.
 */
export function expandUnknownKeys(issues: readonly z.core.$ZodIssue[]): { path: PropertyKey[]; message: string; code: string }[] {
  const out: { path: PropertyKey[]; message: string; code: string }[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...issue.path, key], message: refusedFieldMessage(key), code: issue.code });
    } else {
      out.push({ path: issue.path, message: issue.message, code: issue.code });
    }
  }
  return out;
}

export function issuesToFieldErrors(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldError[] {
  return expandUnknownKeys(issues).map((i) => ({
    path: [prefix, ...i.path.map(String)].filter((s) => s !== '').join('.') || prefix || 'body',
    message: i.message,
  }));
}

/**
 * The zod validator compiler, with unknown keys reported one by one at their own
 * path. Set on the registry plugins only (encapsulated), so other modules keep theirs.
 */
export const fieldNamingValidatorCompiler: FastifySchemaCompiler<z.core.$ZodType> = (route) => {
  const validate = validatorCompiler(route);
  return (data: unknown) => {
    const result = validate(data) as { error?: Error | FastifySchemaValidationError[]; value?: unknown };
    if (result && typeof result === 'object' && Array.isArray(result.error)) {
      const expanded: FastifySchemaValidationError[] = [];
      for (const e of result.error) {
        if (e.keyword === 'unrecognized_keys' && Array.isArray((e.params as { keys?: unknown }).keys)) {
          for (const key of (e.params as { keys: string[] }).keys) {
            const instancePath = `${e.instancePath === '/' ? '' : e.instancePath}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
            expanded.push({
              ...e,
              [ZOD_ERROR]: true,
              instancePath,
              schemaPath: `#${instancePath}/unrecognized_keys`,
              message: refusedFieldMessage(key),
            } as FastifySchemaValidationError);
          }
        } else {
          expanded.push(e);
        }
      }
      return { error: expanded };
    }
    return result;
  };
};

/**
 * Workflow actions are POSTs: If-Match is not required there, but a client that
 * sends one gets the same 412 as on a PATCH when it is stale.
 */
export function optionalIfMatch(request: FastifyRequest, current: number): void {
  const header = request.headers['if-match'];
  if (header !== undefined && header !== '') requireIfMatch(request, current);
}
