import fc from 'fast-check';

/**
 * The OpenAPI document as data, and fast-check arbitraries derived from its
 * schemas: values that follow the schema (with domain hints by property name, so
 * that generated requests get past validation into the handlers), and mutations of
 * them (wrong types, nulls, huge and exotic strings, injection strings, missing and
 * extra fields, arrays for objects, deep nesting).
 */

export type Schema = Record<string, unknown>;

export interface OpenApiDoc {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface OperationObject {
  operationId?: string;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  security?: unknown[];
}

export interface Operation {
  method: string;
  path: string;
  key: string;
  pathParams: ParameterObject[];
  queryParams: ParameterObject[];
  body?: { schema: Schema; contentTypes: string[]; required: boolean };
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      const contentTypes = Object.keys(content);
      const schema = contentTypes.length > 0 ? (content[contentTypes[0]!]?.schema ?? {}) : undefined;
      ops.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        ...(schema !== undefined ? { body: { schema, contentTypes, required: op.requestBody?.required ?? false } } : {}),
      });
    }
  }
  return ops;
}

export function deref(doc: OpenApiDoc, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 20 && typeof s.$ref === 'string'; i++) {
    const name = (s.$ref as string).split('/').pop()!;
    s = doc.components?.schemas?.[name] ?? {};
  }
  return s;
}

// ---- generated values ------------------------------------------------------------------------

export interface GenContext {
  doc: OpenApiDoc;
  /** Arbitraries of domain-valid values by property name (document numbers, CAS numbers, ids…). */
  hints: Record<string, fc.Arbitrary<unknown>>;
  /** Ids that exist, for `format: uuid`. */
  ids: string[];
}

const anyJson = fc.jsonValue({ maxDepth: 2 });

function isoDay(min: number, max: number): fc.Arbitrary<string> {
  return fc.integer({ min, max }).map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10));
}

function stringArb(s: Schema, ctx: GenContext): fc.Arbitrary<string> {
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  const max = typeof s.maxLength === 'number' ? s.maxLength : 60;
  switch (s.format) {
    case 'uuid':
      return ctx.ids.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ctx.ids) }, { weight: 1, arbitrary: fc.uuid() }) : fc.uuid();
    case 'date':
      // 1950 .. 2045
      return isoDay(-7305, 27_393);
    case 'date-time':
      return fc.integer({ min: 0, max: 2_500_000_000_000 }).map((ms) => new Date(ms).toISOString());
    case 'email':
      return fc.emailAddress().filter((e) => e.length <= max);
    default:
      break;
  }
  if (typeof s.pattern === 'string') {
    try {
      const re = new RegExp(s.pattern, 'u');
      return fc.stringMatching(re).filter((v) => v.length >= min && v.length <= max);
    } catch {
      // a pattern JavaScript cannot compile: fall through to plain strings
    }
  }
  const unit = fc.oneof(fc.constantFrom('a', 'Z', '0', '陳', '大', '文', ' ', '-', "'"), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
  return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(max, 40)), unit });
}

function numberArb(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const exMin = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : undefined;
  const exMax = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : undefined;
  let min = typeof s.minimum === 'number' ? s.minimum : exMin !== undefined ? exMin + (integer ? 1 : 1e-6) : -1_000_000;
  let max = typeof s.maximum === 'number' ? s.maximum : exMax !== undefined ? exMax - (integer ? 1 : 1e-6) : 1_000_000;
  if (max < min) [min, max] = [max, min];
  const imin = Math.ceil(Math.max(min, Number.MIN_SAFE_INTEGER));
  const imax = Math.floor(Math.min(max, Number.MAX_SAFE_INTEGER));
  const ints = imin <= imax ? fc.integer({ min: Math.max(imin, -(2 ** 31)), max: Math.min(imax, 2 ** 31 - 1) }) : fc.constant(imin);
  if (integer) return ints;
  return fc.oneof(ints, fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
}

/** Values that follow the schema, most of the time with the domain value the hints give for the property. */
export function schemaArb(schema: Schema | undefined, ctx: GenContext, prop?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(ctx.doc, schema);
  const derived = derivedArb(s, ctx, depth);
  // A hint is for a free-form field of that name; where the schema lists the values (an enum), the schema knows better.
  const hint = prop !== undefined && !('const' in s) && !Array.isArray(s.enum) ? ctx.hints[prop] : undefined;
  return hint ? fc.oneof({ weight: 9, arbitrary: hint }, { weight: 1, arbitrary: derived }) : derived;
}

function derivedArb(s: Schema, ctx: GenContext, depth: number): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant(null);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length > 0) return fc.constantFrom(...(s.enum as unknown[]));
  const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    return fc.oneof(...alternatives.map((a) => schemaArb(a, ctx, undefined, depth + 1)));
  }
  if (Array.isArray(s.allOf)) {
    const parts = (s.allOf as Schema[]).map((p) => deref(ctx.doc, p));
    const merged: Schema = {
      type: 'object',
      properties: Object.assign({}, ...parts.map((p) => (p.properties as Schema | undefined) ?? {})),
      required: parts.flatMap((p) => (p.required as string[] | undefined) ?? []),
    };
    return derivedArb(merged, ctx, depth);
  }
  const type = Array.isArray(s.type) ? (s.type as string[])[0] : (s.type as string | undefined);
  switch (type ?? (s.properties ? 'object' : undefined)) {
    case 'string':
      return stringArb(s, ctx);
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minItems = typeof s.minItems === 'number' ? s.minItems : 0;
      const maxItems = Math.max(minItems, Math.min(typeof s.maxItems === 'number' ? s.maxItems : 3, 3));
      return fc.array(schemaArb(s.items as Schema | undefined, ctx, undefined, depth + 1), { minLength: minItems, maxLength: maxItems });
    }
    case 'object': {
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      const required = ((s.required as string[] | undefined) ?? []).filter((k) => k in props);
      const keys = Object.keys(props);
      if (keys.length === 0) return s.additionalProperties === false ? fc.constant({}) : fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 2 });
      const record = Object.fromEntries(keys.map((k) => [k, schemaArb(props[k], ctx, k, depth + 1)]));
      return fc.record(record, { requiredKeys: required });
    }
    default:
      return anyJson;
  }
}

// ---- mutations ---------------------------------------------------------------------------------

export const HUGE_STRINGS = ['A'.repeat(70_000), '陳'.repeat(30_000), '🧪'.repeat(20_000), `${'x'.repeat(1023)}é`];

export const UNICODE_STRINGS = [
  '陳大文',
  '河套深港科技创新合作区',
  '👩‍🔬🧬🧪',
  'Ａ１２３４５６（７）',
  'ǅungla\u0301',
  '\u202eMOCLEB\u202c',
  'zero\u200bwidth\u200d',
  '𠜎𠜱𠝹𠱓',
  'İstanbul ß ﬁ',
  '\t\r\n',
  ' ',
  '',
];

export const INJECTION_STRINGS = [
  "' OR '1'='1",
  "'; DROP TABLE researchers; --",
  '" OR ""="',
  "1; select pg_sleep(5); --",
  "%' OR '%'='",
  '\\x27\\x3b',
  '{"$ne":null}',
  '"},"role":"supervisor","x":{"',
  '__proto__',
  '{{7*7}}${7*7}<script>alert(1)</script>',
  '../../../../etc/passwd',
  'A1234563\' UNION SELECT password_hash FROM users --',
  "E'\\\\x00'",
];

const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'status', 'role', 'institutionId', 'id', 'version', 'passwordHash', 'isAdmin', 'x'];

const EDGE_NUMBERS = [1e308, -1e308, -0, 2 ** 53 + 1, 1e-320, -1, 0, 4294967296, 1.5];

/** An object nested `depth` levels deep: {"a":{"a":…}}. */
export function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

export type MutationKind =
  | 'wrongType'
  | 'null'
  | 'huge'
  | 'unicode'
  | 'injection'
  | 'deep'
  | 'arrayForObject'
  | 'extraField'
  | 'missing'
  | 'numberEdge';

export const MUTATIONS: MutationKind[] = ['wrongType', 'null', 'huge', 'unicode', 'injection', 'deep', 'arrayForObject', 'extraField', 'missing', 'numberEdge'];

interface Slot {
  parent: Record<string, unknown> | unknown[] | undefined;
  key: string | number;
  value: unknown;
}

function slotsOf(root: unknown): Slot[] {
  const slots: Slot[] = [{ parent: undefined, key: '', value: root }];
  const walk = (v: unknown, depth: number) => {
    if (depth > 8 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        slots.push({ parent: v, key: i, value: x });
        walk(x, depth + 1);
      });
    } else {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        slots.push({ parent: v as Record<string, unknown>, key: k, value: x });
        walk(x, depth + 1);
      }
    }
  };
  walk(root, 0);
  return slots;
}

/** Applies one mutation at one place (chosen by `pick`) of a deep copy of `value`. */
export function mutate(value: unknown, kind: MutationKind, pick: number, choice: number): unknown {
  const root = { v: value === undefined ? {} : (JSON.parse(JSON.stringify(value)) as unknown) };
  const slots = slotsOf(root.v);
  const slot = slots[pick % slots.length]!;
  const set = (x: unknown) => {
    if (slot.parent === undefined) root.v = x;
    else (slot.parent as Record<string | number, unknown>)[slot.key] = x;
  };
  const from = <T>(list: readonly T[]): T => list[choice % list.length]!;
  switch (kind) {
    case 'wrongType':
      set(from([123, true, false, [], {}, 'a string', -1.5, [1, 'two'], { value: slot.value }]));
      break;
    case 'null':
      set(null);
      break;
    case 'huge':
      set(from(HUGE_STRINGS));
      break;
    case 'unicode':
      set(typeof slot.value === 'string' ? `${slot.value}${from(UNICODE_STRINGS)}` : from(UNICODE_STRINGS));
      break;
    case 'injection':
      set(from(INJECTION_STRINGS));
      break;
    case 'deep':
      set(nested(from([50, 200, 1000, 3000])));
      break;
    case 'arrayForObject':
      set(Array.isArray(slot.value) ? { 0: slot.value } : [slot.value]);
      break;
    case 'extraField': {
      const target = slot.value !== null && typeof slot.value === 'object' && !Array.isArray(slot.value) ? (slot.value as Record<string, unknown>) : undefined;
      const key = from(EXTRA_KEYS);
      const extra = from<unknown>(['supervisor', 'approved', true, 0, { polluted: true }, null]);
      if (target) Object.defineProperty(target, key, { value: extra, enumerable: true, writable: true, configurable: true });
      else set({ [key]: extra, value: slot.value });
      break;
    }
    case 'missing':
      if (slot.parent && !Array.isArray(slot.parent)) delete (slot.parent as Record<string, unknown>)[slot.key as string];
      else if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
      else root.v = undefined;
      break;
    case 'numberEdge':
      set(from(EDGE_NUMBERS));
      break;
  }
  return root.v;
}

/** A value of the schema, or one mutation of it (about two thirds of the time). */
export function fuzzArb(base: fc.Arbitrary<unknown>): fc.Arbitrary<{ value: unknown; mutation: MutationKind | 'none' }> {
  return fc.oneof(
    { weight: 1, arbitrary: base.map((value) => ({ value, mutation: 'none' as const })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(base, fc.constantFrom(...MUTATIONS), fc.nat(), fc.nat())
        .map(([v, kind, pick, choice]) => ({ value: mutate(v, kind, pick, choice), mutation: kind })),
    },
  );
}

/** A deterministic example of a schema (the first enum value, minimum lengths…), for requests that must be valid. */
export function exampleOf(schema: Schema | undefined, ctx: GenContext, prop?: string): unknown {
  const [v] = fc.sample(schemaArb(schema, ctx, prop), { seed: 42, numRuns: 1 });
  return v;
}
