import fc from 'fast-check';

/**
 * Values no schema expects, for the fuzzer (arbitraries.ts mixes them into schema-shaped ones):
 * strings that break encodings, parsers, SQL, HTML, dates and numbers; wrong types; keys aimed at
 * prototypes; JSON text nested thousands deep, malformed, or past the body limit.
 */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\u202E\u0301\uFEFF',
  '🧘‍♀️'.repeat(50),
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '1; SELECT pg_sleep(5)',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, literally
  '${jndi:ldap://x}',
  '{{7*7}}',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '9223372036854775808',
  '-9223372036854775809',
  '0x10',
  'null',
  'undefined',
  'true',
  '__proto__',
  'constructor',
  '0000-01-01T00:00:00Z',
  '99999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00.000Z',
  '2026-02-30T10:00:00Z',
  '2026-03-01T24:00:01+05:30',
  '2026-13-01',
  '0000-00-00',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];
const HOSTILE_NUMBERS = [0, -0, -1, 1.5, 2 ** 31, 2 ** 53, 2 ** 63, -(2 ** 63), 1e308, Number.MIN_VALUE];

export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2_000, max: 60_000 }).map((n) => 'ॐ'.repeat(n)) },
);

/** Anything JSON can carry, the wrong type for most fields, and keys that target prototypes. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, ...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      JSON.parse('{"__proto__": {"role": "admin", "isAdmin": true}}'),
      { constructor: { prototype: { role: 'admin' } } },
      JSON.parse('{"__proto__": null}'),
    ),
  },
);

/** JSON text no schema expects: nested thousands deep, not JSON, or past the body limit. */
export const hostileBodyText = fc.oneof(
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.constantFrom('{', '{"a":}', 'null', '[]', '"text"', '1', '\u0000', '{"a":1}garbage', '\uFEFF{}'),
  // Past the default 1 MiB body limit.
  fc.integer({ min: 1_048_577, max: 1_100_000 }).map((n) => JSON.stringify({ x: 'a'.repeat(n) })),
);
