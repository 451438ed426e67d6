import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';

/**
 * PostgreSQL's client programs and the few statements around them: `pg_dump`, `pg_restore`, whether
 * a database is empty, clearing one, and a scratch database for the drill.
 *
 * Invariants:
 * - A password never appears on a command line (where `ps` shows it): it goes in PGPASSWORD.
 * - A program that fails is reported in one line: its last line of stderr.
 */

export class PgToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgToolError';
  }
}

/** The URL without its password (for the command line), and the password (for the environment). */
function split(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { url: u.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/** The database's name in a URL (for headers and messages; never the credentials). */
export const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';

function run(program: string, args: string[], url: string): ChildProcess {
  const target = split(url);
  const child = spawn(program, [...args, `--dbname=${target.url}`], {
    env: target.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return child;
}

/** Resolves when the program exited 0; else rejects with its last line of stderr. */
function finished(child: ChildProcess, program: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new PgToolError(
          error.code === 'ENOENT'
            ? `${program} is not installed (the PostgreSQL client programs are needed)`
            : `${program}: ${error.message}`,
        ),
      ),
    );
    child.on('close', (code) => {
      const last = stderr.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve();
      else reject(new PgToolError(`${program} failed: ${last || `exit code ${code}`}`));
    });
  });
}

/** `pg_dump -Fc` of the database as the exported snapshot shows it, into `sink` (not ended). */
export async function pgDump(url: string, snapshot: string | undefined, sink: Writable): Promise<void> {
  const child = run('pg_dump', ['--format=custom', ...(snapshot ? [`--snapshot=${snapshot}`] : [])], url);
  child.stdin?.end();
  const done = finished(child, 'pg_dump');
  await Promise.all([pipeline(child.stdout!, sink, { end: false }), done]);
}

/** `pg_restore` of the archive read from `source` into the database, all or nothing. */
export async function pgRestore(url: string, source: Readable): Promise<void> {
  const child = run('pg_restore', ['--exit-on-error', '--single-transaction', '--no-owner'], url);
  child.stdout?.resume();
  const [fed, restored] = await Promise.allSettled([
    pipeline(source, child.stdin!),
    finished(child, 'pg_restore'),
  ]);
  // The input's own failure (a chunk that does not decrypt) is the cause of pg_restore's; a broken
  // pipe is the effect of pg_restore stopping, which its exit explains.
  if (fed.status === 'rejected' && !(restored.status === 'rejected' && isBrokenPipe(fed.reason))) {
    throw fed.reason;
  }
  if (restored.status === 'rejected') throw restored.reason;
}

const isBrokenPipe = (error: unknown) =>
  ['EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_DESTROYED'].includes(
    (error as NodeJS.ErrnoException).code ?? '',
  );

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect().catch((error: Error) => {
    throw new PgToolError(`cannot connect to ${databaseName(url)}: ${error.message}`);
  });
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * What a restore would write over, outside PostgreSQL's own schemas: how many tables, and how many
 * relations of any kind (tables, indexes, sequences, views…).
 */
export function contentsOf(url: string): Promise<{ tables: number; relations: number }> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ tables: number; relations: number }>(
      `SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p'))::int AS tables, count(*)::int AS relations
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
    );
    return rows[0]!;
  });
}

/** Drops every schema but PostgreSQL's own, with all they hold, and gives back an empty `public`. */
export function clearDatabase(url: string): Promise<void> {
  return withClient(url, async (client) => {
    await client.query('BEGIN');
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace
       WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'`,
    );
    for (const { name } of rows) await client.query(`DROP SCHEMA ${pg.escapeIdentifier(name)} CASCADE`);
    await client.query('CREATE SCHEMA public');
    await client.query('COMMIT');
  });
}

/** A new empty database on the same server as `url` (the drill's), and how to drop it. */
export async function createScratchDatabase(
  url: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `amrutam_drill_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withClient(url, (client) => client.query(`CREATE DATABASE ${name}`)).catch((error: Error) => {
    throw new PgToolError(
      `cannot create the scratch database (${error.message}): the role needs CREATEDB, or run the drill as one that has it`,
    );
  });
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    drop: () =>
      withClient(url, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(),
  };
}
