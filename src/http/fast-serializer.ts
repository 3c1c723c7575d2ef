import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Response serialisation compiled from the response schema (fast-json-stringify), for
 * the hot path: the zod schema is turned into JSON Schema once, at start, and the
 * compiled function writes exactly the fields the schema lists (anything else is left
 * out, as zod's strip would). What it does not do is check the answer against the
 * schema first, as the zod serializer does, so it is used only where the answer is
 * assembled by typed code from what was read or written (the officer lookup and the
 * crossing). A schema that JSON Schema cannot express falls back to the zod serializer.
 */
export const fastSerializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  try {
    const json = z.toJSONSchema(route.schema as z.ZodType, { io: 'output', target: 'draft-7', unrepresentable: 'throw' });
    return fastJson(json as Parameters<typeof fastJson>[0]);
  } catch {
    return zodSerializerCompiler(route as never);
  }
};
