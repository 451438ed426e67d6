import { STATUS_CODES } from 'node:http';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { exampleOf } from './examples.ts';

type Json = Record<string, unknown>;
type DocumentInput = Parameters<typeof jsonSchemaTransformObject>[0];
const REF = '#/components/schemas/';

/** Every `$ref` name reachable in `value`. */
function refsIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) refsIn(item, into);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(REF))
        into.add(child.slice(REF.length));
      else refsIn(child, into);
    }
  }
  return into;
}

function renameRefs(value: unknown, renames: Map<string, string>): void {
  if (Array.isArray(value)) for (const item of value) renameRefs(item, renames);
  else if (value && typeof value === 'object') {
    const o = value as Json;
    for (const [key, child] of Object.entries(o)) {
      const target =
        key === '$ref' && typeof child === 'string' ? renames.get(child.slice(REF.length)) : undefined;
      if (target) o[key] = `${REF}${target}`;
      else renameRefs(child, renames);
    }
  }
}

/**
 * Component schemas as a client generator wants them: only those the document uses, and a schema
 * used only as input named without the `Input` suffix fastify-type-provider-zod gives input forms.
 */
function tidyComponents(doc: Json): void {
  const components = doc.components as { schemas: Json };
  const used = new Set<string>();
  const visit = (names: Iterable<string>) => {
    for (const name of names) {
      if (used.has(name) || !(name in components.schemas)) continue;
      used.add(name);
      visit(refsIn(components.schemas[name]));
    }
  };
  visit(refsIn(doc.paths));
  const renames = new Map<string, string>();
  for (const name of used) {
    const plain = name.replace(/Input$/, '');
    if (plain !== name && !used.has(plain)) renames.set(name, plain);
  }
  const schemas: Json = {};
  for (const name of [...used].sort()) schemas[renames.get(name) ?? name] = components.schemas[name];
  components.schemas = schemas;
  renameRefs(doc, renames);
}

/** Each request body and response gets an example (its own if it has one), and a description. */
function completeOperations(doc: Json): void {
  const schemas = (doc.components as { schemas: Json }).schemas;
  const withExample = (content: Json | undefined) => {
    for (const media of Object.values(content ?? {}) as Json[]) {
      if (!('example' in media)) media.example = exampleOf(media.schema, schemas);
    }
  };
  for (const operations of Object.values(doc.paths as Json) as Json[]) {
    for (const operation of Object.values(operations) as Json[]) {
      withExample((operation.requestBody as Json | undefined)?.content as Json | undefined);
      for (const [status, response] of Object.entries(operation.responses as Json) as [string, Json][]) {
        if (response.description === 'Default Response')
          response.description = STATUS_CODES[status] ?? status;
        withExample(response.content as Json | undefined);
      }
    }
  }
}

/** @fastify/swagger's document transform: components from the zod registry, tidied; examples everywhere. */
export function completeDocument(input: DocumentInput) {
  const doc = jsonSchemaTransformObject(input) as Json;
  tidyComponents(doc);
  completeOperations(doc);
  return doc;
}
