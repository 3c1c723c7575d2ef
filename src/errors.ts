/**
 * Typed domain errors. Handlers and services throw these; the root error
 * handler (src/http/error-handler.ts) turns each into an RFC 9457
 * application/problem+json answer with a stable `code`.
 */

import { fieldSentence } from './lib/messages.js';

export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    public readonly title: string,
    detail?: string,
    public readonly errors?: FieldError[],
    public readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
    this.name = new.target.name;
  }
  get detail(): string {
    return this.message;
  }
}

export class ValidationError extends AppError {
  constructor(errors: FieldError[], detail?: string) {
    super(
      422,
      'VALIDATION_FAILED',
      'Request validation failed',
      detail ?? (errors.length === 1 ? fieldSentence(errors[0]!.path, errors[0]!.message) : `${errors.length} fields are invalid`),
      errors,
    );
  }
}

export class BadRequestError extends AppError {
  constructor(detail: string, code = 'BAD_REQUEST', errors?: FieldError[]) {
    super(400, code, 'Bad request', detail, errors);
  }
}

export class UnauthorizedError extends AppError {
  constructor(detail = 'A valid Bearer token is required', code = 'UNAUTHORIZED') {
    super(401, code, 'Unauthorized', detail, undefined, { 'www-authenticate': 'Bearer' });
  }
}

export class InvalidCredentialsError extends AppError {
  constructor() {
    super(401, 'INVALID_CREDENTIALS', 'Invalid credentials', 'The credentials are not valid');
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = 'Your role does not allow this action') {
    super(403, 'FORBIDDEN', 'Forbidden', detail);
  }
}

export class NotFoundError extends AppError {
  constructor(what = 'Resource', detail?: string) {
    super(404, 'NOT_FOUND', 'Not found', detail ?? `${what} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(detail: string, code = 'CONFLICT', errors?: FieldError[]) {
    super(409, code, 'Conflict', detail, errors);
  }
}

export class PreconditionFailedError extends AppError {
  constructor(detail = 'The resource has changed since it was read (stale If-Match)') {
    super(412, 'PRECONDITION_FAILED', 'Precondition failed', detail);
  }
}

export class PreconditionRequiredError extends AppError {
  constructor(detail: string) {
    super(428, 'PRECONDITION_REQUIRED', 'Precondition required', detail);
  }
}

export class TooManyRequestsError extends AppError {
  constructor(retryAfterSeconds: number, detail = 'Too many requests, slow down') {
    super(429, 'RATE_LIMITED', 'Too many requests', detail, undefined, {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(detail = 'The database is not reachable; try again shortly') {
    super(503, 'SERVICE_UNAVAILABLE', 'Service unavailable', detail, undefined, { 'retry-after': '2' });
  }
}
