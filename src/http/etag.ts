import type { FastifyRequest } from 'fastify';
import { PreconditionFailedError, PreconditionRequiredError } from '../errors.js';

/** Strong ETag of a versioned record. */
export function etagOf(version: number): string {
  return `"v${version}"`;
}

/**
 * The version the client last read, from If-Match. A PATCH without it is a 428;
 * one that does not match `current` is a 412. Strong comparison (RFC 9110 §13.1.1):
 * a weak `W/"…"` tag never matches, and neither does `*`, which would skip the check
 * the header is there for. The update itself must still say `where version = <returned>`
 * so that a concurrent writer loses cleanly.
 */
export function requireIfMatch(request: FastifyRequest, current: number): number {
  const header = request.headers['if-match'];
  if (header === undefined || header === '') {
    throw new PreconditionRequiredError('This update needs an If-Match header with the ETag from your last read');
  }
  const tags = header.split(',').map((s) => s.trim());
  if (tags.includes('*')) {
    throw new PreconditionFailedError('If-Match: * is not accepted here; send the ETag from your last read');
  }
  const versions = tags.map((t) => /^"v(\d{1,9})"$/.exec(t)?.[1]).filter((v): v is string => v !== undefined);
  if (!versions.map(Number).includes(current)) {
    throw new PreconditionFailedError(
      tags.some((t) => t.startsWith('W/'))
        ? 'A weak ETag (W/"…") never matches; send the strong ETag from your last read'
        : undefined,
    );
  }
  return current;
}
