/**
 * What the results record about the machine and the code measured, taken before the run starts (the
 * load average is the one at the start): cores, CPU, memory, OS, Node, PostgreSQL or PGlite,
 * pgbench and Redis versions, and the git commit with the number of tracked files changed since.
 * Every probe that fails leaves its field null (or says "unreachable"): it never fails the run.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ADMIN_URL, PGBENCH, REDIS_URL } from './config.ts';
import { pgQuery } from './database.ts';
import { ROOT, runCaptured } from './processes.ts';

export type Machine = Awaited<ReturnType<typeof machineInfo>>;

export async function machineInfo(embedded: boolean) {
  const out = async (cmd: string, args: string[], cwd = ROOT) => {
    try {
      return (await runCaptured(cmd, args, { cwd })).stdout.trim();
    } catch {
      return null;
    }
  };
  let postgres: string | null = null;
  if (!embedded) {
    try {
      const q = await pgQuery(ADMIN_URL);
      postgres = `PostgreSQL ${(await q.rows<{ server_version: string }>('SHOW server_version'))[0]?.server_version}`;
      await q.close();
    } catch (error) {
      postgres = `unreachable: ${(error as Error).message}`;
    }
  } else {
    try {
      const pkg = JSON.parse(
        await readFile(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'),
      );
      postgres = `PGlite ${pkg.version}`;
    } catch {}
  }
  let redis: string | null = null;
  if (!embedded) {
    try {
      const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      redis = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? null;
      client.disconnect();
    } catch {}
  }
  const git = async () => {
    const changed = await out('git', ['status', '--porcelain', '--untracked-files=no']);
    return {
      commit: await out('git', ['rev-parse', 'HEAD']),
      /** Tracked files changed since that commit (uncommitted work measured too). */
      changedFiles: changed?.split('\n').filter(Boolean).length ?? 0,
      dirty: Boolean(changed),
    };
  };
  return {
    nproc: Number(await out('nproc', [])) || os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown cpu',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres,
    pgbench: embedded ? null : await out(PGBENCH, ['--version']),
    redis,
    git: await git(),
  };
}
