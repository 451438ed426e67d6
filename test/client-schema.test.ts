import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

// packages/client/src/schema.d.ts is committed (the package works without generating it), so it
// must be what its `generate` script would write from docs/openapi.json now: the same generator
// (openapi-typescript, resolved from packages/client with the TypeScript 5 it runs on) and the same
// options as that script.
const root = path.resolve(import.meta.dirname, '..');
const pkg = path.join(root, 'packages/client');

it('packages/client/src/schema.d.ts is generated from the current docs/openapi.json (regenerate: npm run -w @amrutam/client generate)', async () => {
  const packageJson = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8'));
  // The one option the script sets; if the script changes, this test must follow it.
  expect(packageJson.scripts.generate).toBe(
    'openapi-typescript ../../docs/openapi.json -o src/schema.d.ts --default-non-nullable false',
  );
  const generator = createRequire(path.join(pkg, 'package.json')).resolve('openapi-typescript');
  const { default: openapiTS, astToString, COMMENT_HEADER } = await import(pathToFileURL(generator).href);
  const document = JSON.parse(await readFile(path.join(root, 'docs/openapi.json'), 'utf8'));
  const expected = `${COMMENT_HEADER}${astToString(await openapiTS(document, { defaultNonNullable: false, silent: true }))}`;
  const committed = await readFile(path.join(pkg, 'src/schema.d.ts'), 'utf8');
  expect(
    committed === expected,
    'packages/client/src/schema.d.ts is stale: run `npm run -w @amrutam/client generate` and commit it',
  ).toBe(true);
});
