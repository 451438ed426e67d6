import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WEB_DIST } from '../web/build.ts';

/** The first page's JavaScript budget (SPEC §6): what a phone downloads before it can search. */
const FIRST_PAGE_BUDGET_BYTES = 200 * 1024;

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

/** The entry chunk and every chunk it imports statically: the JavaScript the first page loads. */
function firstPageFiles(manifest: Record<string, ManifestChunk>): string[] {
  const entry = Object.entries(manifest).find(([, chunk]) => chunk.isEntry);
  if (!entry) throw new Error('no entry chunk in the build manifest');
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const imported of manifest[key]?.imports ?? []) visit(imported);
  };
  visit(entry[0]);
  return [...seen].map((key) => manifest[key]!.file).filter((file) => file.endsWith('.js'));
}

describe('the web build', () => {
  const manifest = JSON.parse(readFileSync(path.join(WEB_DIST, '.vite/manifest.json'), 'utf8'));

  it(`loads at most ${FIRST_PAGE_BUDGET_BYTES / 1024} KB of gzipped JavaScript on the first page`, () => {
    const files = firstPageFiles(manifest);
    const gzipped = files.map(
      (file) => gzipSync(readFileSync(path.join(WEB_DIST, file)), { level: 9 }).length,
    );
    const total = gzipped.reduce((a, b) => a + b, 0);
    console.log(`first page: ${files.length} file(s), ${(total / 1024).toFixed(1)} KB gzip`);
    expect(total).toBeLessThanOrEqual(FIRST_PAGE_BUDGET_BYTES);
  });

  it('keeps every other page out of the first page (lazy chunks)', () => {
    const first = new Set(firstPageFiles(manifest));
    const lazy = Object.values(manifest as Record<string, ManifestChunk>).filter((c) => !first.has(c.file));
    expect(lazy.length).toBeGreaterThan(10);
  });
});
