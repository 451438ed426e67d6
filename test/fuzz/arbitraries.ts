import fc from 'fast-check';
import { ACTORS, type Actor } from './fixture.ts';
import { hostileBodyText, hostileString, hostileValue } from './hostile.ts';

/**
 * Requests derived from the published OpenAPI 3.1 document (issue 13, item 3): for each operation,
 * values for its path, query and body built from their JSON Schemas (type, enum, const, anyOf, format
 * uuid/date/date-time, pattern, min/max length and value, required), mixed with hostile
 * ones: huge and odd unicode strings, NUL bytes, lone surrogates, nulls and wrong types, SQL and
 * script payloads, impossible dates and numbers, prototype-polluting keys, deep nesting, bodies
 * that are not JSON at all. Ids come from the fixture as often as at random, so requests reach real
 * records (their own and other people's), not only 404s.
 */
// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is walked by key
export type Json = Record<string, any>;

export interface Operation {
  id: string;
  method: string;
  path: string;
  op: Json;
}

export interface FuzzRequest {
  actor: Actor;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body, as text sent as is (JSON or not). */
  payload?: string;
}

export interface Pools {
  /** Ids the fixture knows (own and others' records), offered as often as random ones. */
  ids: readonly string[];
  resolve(ref: string): Json;
}

const isoBetween = (min: number, max: number) =>
  fc.integer({ min, max }).map((ms) => new Date(ms).toISOString());
const NOW = Date.parse('2026-03-04T00:00:00Z');
const EDGE_INSTANTS = [
  '0000-01-01T00:00:00Z',
  '0000-02-29T23:59:59+23:59',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999Z',
  '9999-12-31T23:59:59-23:59',
  '2026-03-04T00:00:00.0000000001+05:30',
];
const DAY = 86_400_000;

/** A value that fits `schema` (mostly; generators stay small), given the fixture's ids. */
export function fitting(schema: Json, pools: Pools): fc.Arbitrary<unknown> {
  if (schema.$ref) return fitting(pools.resolve(schema.$ref), pools);
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((s) => fitting(s, pools)));
  const types = ([] as string[]).concat(schema.type ?? 'string');
  if (types.length > 1) return fc.oneof(...types.map((type) => fitting({ ...schema, type }, pools)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min =
        schema.minimum ?? (schema.exclusiveMinimum ?? -1_000_000) + (types[0] === 'integer' ? 1 : 0);
      const max = schema.maximum ?? (schema.exclusiveMaximum ?? 1_000_000) - (types[0] === 'integer' ? 1 : 0);
      return types[0] === 'integer'
        ? fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) })
        : fc.double({ min, max, noNaN: true });
    }
    case 'array': {
      const items = schema.items ? fitting(schema.items, pools) : fc.jsonValue({ maxDepth: 1 });
      const minLength = schema.minItems ?? 0;
      return fc.array(items, { minLength, maxLength: Math.min(schema.maxItems ?? 4, minLength + 4) });
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Json>;
      const model = Object.fromEntries(
        Object.entries(properties).map(([key, s]) => [key, fitting(s, pools)]),
      );
      return fc.record(model, { requiredKeys: (schema.required ?? []) as string[] });
    }
    default:
      return fittingString(schema, pools);
  }
}

function fittingString(schema: Json, pools: Pools): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return pools.ids.length > 0 ? fc.oneof(fc.constantFrom(...pools.ids), fc.uuid()) : fc.uuid();
    // Mostly near the fixture's time; sometimes the edges the schema's pattern still lets through.
    case 'date-time':
      return fc.oneof(
        { weight: 6, arbitrary: isoBetween(NOW - 400 * DAY, NOW + 400 * DAY) },
        { weight: 1, arbitrary: fc.constantFrom(...EDGE_INSTANTS) },
      );
    case 'date':
      return fc.oneof(
        { weight: 6, arbitrary: isoBetween(NOW - 400 * DAY, NOW + 400 * DAY).map((iso) => iso.slice(0, 10)) },
        { weight: 1, arbitrary: fc.constantFrom('0000-02-29', '0001-01-01', '1970-01-01', '9999-12-31') },
      );
  }
  const examples = [...(schema.examples ?? []), ...(schema.example ? [schema.example] : [])].filter(
    (e) => typeof e === 'string',
  );
  if (schema.pattern) {
    const matching = fc.stringMatching(new RegExp(schema.pattern));
    const bounded = matching.filter(
      (s) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity),
    );
    return examples.length > 0 ? fc.oneof(fc.constantFrom(...examples), bounded) : bounded;
  }
  const minLength = schema.minLength ?? 0;
  const text = fc.string({
    unit: 'grapheme',
    minLength,
    maxLength: Math.min(schema.maxLength ?? 40, minLength + 40),
  });
  // As long as allowed, in characters that take 3 and 4 bytes (columns count one or the other).
  const longest =
    schema.maxLength === undefined
      ? []
      : [
          {
            weight: 1,
            arbitrary: fc.constantFrom('ॐ'.repeat(schema.maxLength), '🧘'.repeat(schema.maxLength >> 1)),
          },
        ];
  const chosen = [...(examples.length > 0 ? [{ weight: 2, arbitrary: fc.constantFrom(...examples) }] : [])];
  return fc.oneof({ weight: 4, arbitrary: text }, ...chosen, ...longest);
}

/** Mostly fitting, sometimes hostile: the share of hostile values is what finds the bugs. */
const fuzzed = (schema: Json, pools: Pools) =>
  fc.oneof({ weight: 3, arbitrary: fitting(schema, pools) }, { weight: 1, arbitrary: hostileValue });

const asText = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

/**
 * One request to `operation` as one of the actors: half of them well-formed (values that fit, so
 * handlers run and 2xx bodies get checked), half with hostile values anywhere.
 */
export function requestOf(operation: Operation, pools: Pools): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(shaped(operation, pools, false), shaped(operation, pools, true));
}

function shaped(operation: Operation, pools: Pools, hostile: boolean): fc.Arbitrary<FuzzRequest> {
  const parameters = (operation.op.parameters ?? []) as Json[];
  const inPath = parameters.filter((p) => p.in === 'path');
  // A made-up cursor is only ever 400: the well-formed half leaves it out.
  const inQuery = parameters.filter((p) => p.in === 'query' && (hostile || p.name !== 'cursor'));
  const keyed = parameters.some((p) => p.in === 'header' && p.name === 'idempotency-key');
  const jsonBody = operation.op.requestBody?.content?.['application/json']?.schema as Json | undefined;
  const value = (schema: Json) => (hostile ? fuzzed(schema, pools) : fitting(schema, pools));

  const path = fc.tuple(...inPath.map((p) => value(p.schema ?? {})));
  const repeated = fc.array(hostileString, { minLength: 2, maxLength: 3 });
  const query = fc.tuple(
    ...inQuery.map((p) =>
      fc.option(
        hostile
          ? fc.oneof({ weight: 4, arbitrary: value(p.schema ?? {}) }, { weight: 1, arbitrary: repeated })
          : value(p.schema ?? {}),
        {
          freq: 2,
        },
      ),
    ),
  );
  const extraKeys = fc.dictionary(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'role',
      'id',
      'status',
      'patientId',
      'verificationStatus',
      'x',
    ),
    hostileValue,
    { minKeys: 1, maxKeys: 2 },
  );
  const body: fc.Arbitrary<string | undefined> = !jsonBody
    ? hostile
      ? fc.option(fc.oneof(fc.constant('{}'), hostileBodyText), { freq: 2, nil: undefined })
      : fc.constant(undefined)
    : !hostile
      ? fitting(jsonBody, pools).map((v) => JSON.stringify(v))
      : fc.oneof(
          {
            weight: 2,
            arbitrary: fc
              .tuple(fitting(jsonBody, pools), extraKeys)
              .map(([v, extra]) => mergedText(v, extra)),
          },
          { weight: 3, arbitrary: fuzzed(jsonBody, pools).map((v) => JSON.stringify(v) ?? 'null') },
          { weight: 1, arbitrary: hostileBodyText },
          { weight: 1, arbitrary: fc.constant(undefined) },
        );
  const key = hostile
    ? fc.oneof(
        { weight: 2, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: hostileString },
        { weight: 1, arbitrary: fc.constant(null) },
      )
    : fc.uuid();
  const contentType = hostile
    ? fc.oneof(
        { weight: 3, arbitrary: fc.constant('application/json') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=latin1',
          ),
        },
      )
    : fc.constant('application/json');

  return fc
    .record({ actor: fc.constantFrom(...ACTORS), path, query, body, key, contentType })
    .map(({ actor, path: values, query: queryValues, body: payload, key: given, contentType: type }) => {
      let url = operation.path;
      inPath.forEach((p, i) => {
        url = url.replace(`{${p.name}}`, pathSegment(asText(values[i])));
      });
      const search = new URLSearchParams();
      inQuery.forEach((p, i) => {
        const one = queryValues[i];
        if (one === null || one === undefined) return;
        for (const v of Array.isArray(one) && one.length > 1 ? one : [one]) search.append(p.name, asText(v));
      });
      const headers: Record<string, string> = {};
      if (keyed && given !== null) headers['idempotency-key'] = sanitizedHeader(given);
      if (payload !== undefined) headers['content-type'] = type;
      return {
        actor,
        method: operation.method,
        url: search.size > 0 ? `${url}?${search}` : url,
        headers,
        ...(payload === undefined ? {} : { payload }),
      };
    });
}

/** The body with extra keys written into the JSON text itself (so `__proto__` is sent as a key). */
function mergedText(value: unknown, extra: Record<string, unknown>): string {
  const base = JSON.stringify(value) ?? 'null';
  const keys = Object.entries(extra).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`);
  if (keys.length === 0 || !base.startsWith('{')) return base;
  return base === '{}' ? `{${keys.join(',')}}` : `{${keys.join(',')},${base.slice(1)}`;
}

/** Percent-encoded, lone surrogates included (as their WTF-8 bytes: encodeURIComponent throws). */
function pathSegment(text: string): string {
  if (text === '') return '%20';
  const lone = /([\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/;
  return text
    .split(lone)
    .map((part, i) => {
      if (i % 2 === 0) return encodeURIComponent(part);
      const unit = part.charCodeAt(0);
      return [0xed, 0xa0 | ((unit >> 6) & 0x0f), 0x80 | (unit & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    })
    .join('');
}

/** Header values can't carry control characters or non-Latin-1 (Node refuses to send them). */
const sanitizedHeader = (value: string) => value.replace(/[^\x20-\x7e]/g, '?').slice(0, 8_000);
