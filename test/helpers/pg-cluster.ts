import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './process.ts';

const run = promisify(execFile);

/** The PostgreSQL server binaries (Debian puts them outside PATH). */
const BIN = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find(
  (dir) => existsSync(path.join(dir, 'initdb')),
);

/** Why throwaway clusters can't be made here, or undefined when they can. */
export const clustersUnavailable: string | undefined = BIN
  ? undefined
  : 'PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found under /usr/lib/postgresql';

export interface Cluster {
  port: number;
  dir: string;
  url(database: string): string;
  /** `pg_ctl stop -m immediate` (a crash, as far as the server can tell) or start again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

// The server refuses to run as root: as root, the binaries run as the `postgres` OS user.
const asServer = async (bin: string, args: string[]) => {
  const root = userInfo().uid === 0;
  const [cmd, argv] = root
    ? ['runuser', ['-u', 'postgres', '--', path.join(BIN!, bin), ...args]]
    : [path.join(BIN!, bin), args];
  return run(cmd, argv as string[], { timeout: 60_000 }).catch(
    (error: { stderr?: string; message: string }) => {
      throw new Error(`${bin} failed: ${error.stderr?.trim() || error.message}`);
    },
  );
};

async function ownedDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await chmod(dir, 0o700);
  return dir;
}

function cluster(dir: string, port: number): Cluster {
  const pgCtl = (...args: string[]) =>
    asServer('pg_ctl', ['-D', dir, '-l', path.join(dir, 'server.log'), ...args]);
  return {
    port,
    dir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: async () => {
      await pgCtl('-m', 'immediate', 'stop');
    },
    start: async () => {
      await pgCtl('-w', 'start');
    },
    destroy: async () => {
      await pgCtl('-m', 'immediate', 'stop').catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A throwaway PostgreSQL cluster on a free port (never the shared one other tests use), started. */
export async function startCluster(): Promise<Cluster> {
  const dir = await ownedDir('amrutam-pg-');
  const port = await freePort();
  await asServer('initdb', ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  await writeFile(
    path.join(dir, 'postgresql.auto.conf'),
    `port = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\nwal_level = replica\n`,
  );
  const c = cluster(dir, port);
  await c.start();
  return c;
}

/** A streaming replica of `primary` (`pg_basebackup -R`), on its own free port, started. */
export async function startReplica(primary: Cluster): Promise<Cluster> {
  const dir = await ownedDir('amrutam-replica-');
  const port = await freePort();
  // A fast checkpoint: a spread one may take minutes once the primary has written something.
  const from = ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres'];
  await asServer('pg_basebackup', [...from, '-D', dir, '-R', '-X', 'stream', '--checkpoint=fast']);
  // -R wrote primary_conninfo into postgresql.auto.conf; the port is the replica's own.
  await run('sed', [
    '-i',
    `s/^port = ${primary.port}$/port = ${port}/`,
    path.join(dir, 'postgresql.auto.conf'),
  ]);
  const c = cluster(dir, port);
  await c.start();
  return c;
}
