/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * - object members sorted by their names as UTF-16 code unit sequences
 *   (what Array.prototype.sort does with no comparator);
 * - numbers serialised as ECMAScript Number.prototype.toString does (JSON.stringify
 *   produces exactly that for finite numbers); NaN and Infinity are refused;
 * - strings escaped as JSON.stringify does (ES2019+: well-formed, minimal escapes);
 * - no whitespace.
 *
 * Iterative (an explicit stack, not recursion): a value nested however deep is
 * canonicalised without exhausting the call stack; a cycle is refused.
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  // LIFO work: a value to write, literal text, or the end of a container (leaves the path).
  type Task = { value: unknown } | { text: string } | { leave: object };
  const stack: Task[] = [{ value }];
  const path = new Set<object>();
  while (stack.length > 0) {
    const task = stack.pop()!;
    if ('text' in task) {
      out.push(task.text);
      continue;
    }
    if ('leave' in task) {
      path.delete(task.leave);
      continue;
    }
    const v = task.value;
    if (v === null) {
      out.push('null');
      continue;
    }
    switch (typeof v) {
      case 'boolean':
        out.push(v ? 'true' : 'false');
        break;
      case 'number':
        if (!Number.isFinite(v)) throw new TypeError('JCS cannot represent a non-finite number');
        out.push(JSON.stringify(v));
        break;
      case 'string':
        out.push(JSON.stringify(v));
        break;
      case 'bigint':
        throw new TypeError('JCS cannot represent a bigint; convert it to a string or number first');
      case 'object': {
        if (path.has(v)) throw new TypeError('JCS cannot represent a cyclic value');
        if (Array.isArray(v)) {
          path.add(v);
          stack.push({ leave: v }, { text: ']' });
          for (let i = v.length - 1; i >= 0; i--) {
            const item: unknown = v[i];
            stack.push(item === undefined || typeof item === 'function' ? { text: 'null' } : { value: item });
            if (i > 0) stack.push({ text: ',' });
          }
          stack.push({ text: '[' });
          break;
        }
        const withToJson = v as { toJSON?: () => unknown };
        if (typeof withToJson.toJSON === 'function') {
          stack.push({ value: withToJson.toJSON() });
          break;
        }
        const obj = v as Record<string, unknown>;
        const keys = Object.keys(obj)
          .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
          .sort();
        path.add(v);
        stack.push({ leave: v }, { text: '}' });
        for (let i = keys.length - 1; i >= 0; i--) {
          const k = keys[i]!;
          stack.push({ value: obj[k] }, { text: `${i > 0 ? ',' : ''}${JSON.stringify(k)}:` });
        }
        stack.push({ text: '{' });
        break;
      }
      default:
        throw new TypeError(`JCS cannot represent a value of type ${typeof v}`);
    }
  }
  return out.join('');
}
