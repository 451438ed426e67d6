import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The product's documentation lives in the repository: every relative link in it resolves to a
// file of the repository, none points outside it.
const root = path.resolve(import.meta.dirname, '..');
const documents = [
  'README.md',
  'bench/README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('documentation', () => {
  it.each(documents)('%s links only to files inside the repository', (doc) => {
    const text = readFileSync(path.join(root, doc), 'utf8');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((href) => !/^[a-z]+:/i.test(href) && !href.startsWith('#'))
      .map((href) => path.resolve(path.dirname(path.join(root, doc)), href.split('#')[0]!));
    for (const target of targets) {
      expect(path.relative(root, target).startsWith('..'), `${doc} → ${target}`).toBe(false);
      expect(existsSync(target), `${doc} → ${target}`).toBe(true);
    }
  });
});
