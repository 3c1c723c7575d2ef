import { z } from 'zod';

/** RFC 9457 problem details, as every error of this API is shaped. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string(), row: z.number().int().optional(), field: z.string().optional() }))
      .optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' });

export type Problem = z.infer<typeof problemSchema>;

export function problemType(code: string): string {
  return `urn:hetao-clearance:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}
