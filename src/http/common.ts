import { z } from 'zod';
import { problemSchema } from './problem.js';

export const uuidParam = z.uuid({ message: 'must be a UUID' });
export const idParams = z.object({ id: uuidParam });
export const timestamp = z.string().describe('RFC 3339 UTC timestamp');
export const isoDate = z.iso.date({ message: 'must be a date YYYY-MM-DD' });
/** An RFC 3339 date-time a client sends (query filters): bounded, as every input is. */
export const timestampQuery = z.iso.datetime({ offset: true }).max(64);

export const toIso = (d: Date): string => d.toISOString();

/** Problem responses every authenticated route can give, for the OpenAPI document. */
export const authProblems = {
  401: problemSchema,
  403: problemSchema,
  429: problemSchema,
} as const;

export const standardProblems = {
  400: problemSchema,
  ...authProblems,
  422: problemSchema,
} as const;
