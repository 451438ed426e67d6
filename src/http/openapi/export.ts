import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import { createPlatform } from '../../platform/platform.ts';

/**
 * `npm run cli -- openapi [--out FILE]`: the OpenAPI document exactly as a development server
 * serves it at /api-docs/openapi.json, built on a throwaway in-memory database so it needs no
 * services and never touches ./.data. docs/openapi.json is this output; the web app's API types
 * are generated from it, and test/openapi.test.ts fails when it drifts from what the server serves.
 */
export async function openApiDocument(): Promise<string> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-openapi-'));
  const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const platform = await createPlatform(config, { inMemoryDb: true });
  try {
    const { app } = await buildApp(platform);
    await app.ready();
    const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
    await app.close();
    return document;
  } finally {
    await platform.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function writeOpenApiDocument(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } } });
  const document = await openApiDocument();
  if (values.out) await writeFile(values.out, document);
  else process.stdout.write(document);
  return 0;
}
