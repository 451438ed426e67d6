/**
 * Builds the web app into web/dist when its sources changed since the last build (or always with
 * --force), and pre-compresses the assets (.br and .gz beside each file, served as-is by the API).
 * `npm start` runs it with --if-stale, so a fresh clone's `npm ci && npm start` serves the app
 * without a separate step; the test suite's global setup runs it too. The stamp is a hash of the
 * sources' contents, not of mtimes, so a fresh clone of a built tree doesn't rebuild needlessly.
 * A rebuild never deletes earlier assets: a server still running serves the index.html it read at
 * start, and the chunks that page loads later must still be there. One build at a time (a lock
 * directory), since test files and a developer's `npm start` may ask at once.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const WEB_ROOT = import.meta.dirname;
export const WEB_DIST = path.join(WEB_ROOT, 'dist');
const STAMP = path.join(WEB_DIST, '.source-hash');
const LOCK = path.join(WEB_ROOT, '.build-lock');
const SOURCES = ['src', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json'];
const COMPRESSIBLE = /\.(js|css|html|svg|json)$/;

function filesUnder(entry: string): string[] {
  const full = path.join(WEB_ROOT, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.endsWith('schema.d.ts'))
    .map((d) => path.relative(WEB_ROOT, path.join(d.parentPath, d.name)));
}

export function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap(filesUnder).sort()) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(WEB_ROOT, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

export function isStale(): boolean {
  return !existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== sourceHash();
}

function compressAssets(dir: string) {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !COMPRESSIBLE.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (existsSync(`${file}.br`) && entry.parentPath.endsWith('assets')) continue; // hashed: unchanged
    const body = readFileSync(file);
    writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
  }
}

async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${LOCK} held for 2 minutes; remove it if no build runs`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export async function buildWeb(options: { ifStale?: boolean } = {}): Promise<'built' | 'fresh'> {
  if (options.ifStale && !isStale()) return 'fresh';
  return withBuildLock(async () => {
    if (options.ifStale && !isStale()) return 'fresh'; // built by whoever held the lock
    const hash = sourceHash();
    const { build } = await import('vite');
    // Vite takes React's build from NODE_ENV when it is set: the test runner's 'test' would ship
    // React's development build (twice the size). A build is always production.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    await build({
      root: WEB_ROOT,
      logLevel: 'warn',
      configFile: path.join(WEB_ROOT, 'vite.config.ts'),
      build: { emptyOutDir: false },
    }).finally(() => {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    });
    compressAssets(WEB_DIST);
    writeFileSync(STAMP, hash);
    return 'built';
  });
}

if (import.meta.main) {
  const ifStale = process.argv.includes('--if-stale');
  try {
    const started = performance.now();
    const result = await buildWeb({ ifStale });
    if (result === 'built')
      console.log(`web app built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    // Without the dev dependencies (npm ci --omit=dev) there is no Vite: serve what was built before.
    if (ifStale && existsSync(path.join(WEB_DIST, 'index.html'))) {
      console.warn(
        `web app not rebuilt (${error instanceof Error ? error.message : error}); serving the last build`,
      );
    } else {
      console.error('web app build failed:', error);
      process.exit(1);
    }
  }
}
