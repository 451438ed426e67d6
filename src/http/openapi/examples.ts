type Json = Record<string, unknown>;

/** Stand-ins for values whose schema says only their format. */
const BY_FORMAT: Record<string, unknown> = {
  uuid: '3f2b8c64-5d1e-4c7a-9b0e-2a6d4f8e1c35',
  'date-time': '2026-03-02T04:00:00.000Z',
  date: '2026-03-02',
  email: 'asha@example.com',
  uri: 'https://example.com',
};

const REF = '#/components/schemas/';

/**
 * An example value for a JSON Schema (2020-12, as @fastify/swagger emits it): the schema's own
 * `examples` where it has them (so leaf fields with realistic values make realistic wholes), else
 * built from its parts: a component's example through `$ref`, every property of an object, one item
 * of a list, the first branch of a union that isn't null, a const, a default, an enum's first value,
 * a format's stand-in, a number's minimum. A test validates every example against its schema.
 */
export function exampleOf(schema: unknown, components: Json, seen: ReadonlySet<string> = new Set()): unknown {
  if (schema === null || typeof schema !== 'object') return null;
  const s = schema as Json;
  if (typeof s.$ref === 'string' && s.$ref.startsWith(REF)) {
    const name = s.$ref.slice(REF.length);
    if (seen.has(name)) return null;
    return exampleOf(components[name], components, new Set([...seen, name]));
  }
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if ('example' in s) return s.example;
  if ('const' in s) return s.const;
  if ('default' in s) return s.default;
  if (Array.isArray(s.enum)) return s.enum[0];
  const branches = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (branches) {
    const chosen = branches.find((b) => b.type !== 'null') ?? branches[0];
    return exampleOf(chosen, components, seen);
  }
  if (Array.isArray(s.allOf)) {
    return Object.assign({}, ...s.allOf.map((part) => exampleOf(part, components, seen) as Json));
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? 'null') : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Json;
      return Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, exampleOf(value, components, seen)]),
      );
    }
    case 'array': {
      const item = exampleOf(s.items, components, seen);
      return Array.from({ length: Math.max(1, Number(s.minItems ?? 1)) }, () => item);
    }
    case 'string':
      if (typeof s.format === 'string' && s.format in BY_FORMAT) return BY_FORMAT[s.format];
      return 'x'.repeat(Math.max(1, Number(s.minLength ?? 1)));
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? Math.max(s.minimum, 0) : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return {};
  }
}
