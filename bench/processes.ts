/**
 * The runner's child processes: the product (server, worker), the bare server, and commands run to
 * completion (migrate, seed-load, the load driver, pgbench, version probes). Every spawned child is
 * in `children` until it exits, so a cleanup can kill whatever is left. Product processes get a
 * clean environment (baseEnv plus what the runner sets), never the caller's whole shell.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { sleep } from './lib.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const NODE = process.execPath;

/** Runs a command without showing anything; resolves with its stdout and stderr. */
export const runCaptured = promisify(execFile);

/** The environment every product process gets: nothing from the caller's shell but basics. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return env;
}

const SERVER_ENV_PREFIX = 'BENCH_SERVER_ENV_';

/** The BENCH_SERVER_ENV_* variables themselves (the driver signs tokens with the server's key settings). */
export function benchEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[0].startsWith(SERVER_ENV_PREFIX) && e[1] !== undefined,
    ),
  );
}

/** BENCH_SERVER_ENV_<NAME>=value → NAME=value for the server and the worker. */
export function extraServerEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(benchEnv()).map(([name, value]) => [name.slice(SERVER_ENV_PREFIX.length), value]),
  );
}

export const children = new Set<ChildProcess>();

/** Starts `node <args>` in the background, its stdout and stderr appended to logFile. */
/**
 * How an npm script (package.json) starts node: the environment it sets before the command (e.g.
 * `start`'s MALLOC_ARENA_MAX) and the Node flags before its entry file (its heap limits).
 */
export function startScript(script: 'start' | 'worker'): { env: Record<string, string>; flags: string[] } {
  const scripts = (
    JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  const match = /^((?:\w+=\S+ )*)(?:exec )?node((?: --[\w-]+(?:=\S+)?)*) src\//.exec(scripts[script] ?? '');
  const words = (text: string | undefined) => text?.trim().split(' ').filter(Boolean) ?? [];
  return {
    env: Object.fromEntries(
      words(match?.[1]).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
    ),
    flags: words(match?.[2]),
  };
}

export function startChild(args: string[], env: Record<string, string>, logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(NODE, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Runs a command to completion; its stderr is shown (progress bars), its stdout returned. */
export function runToEnd(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  opts: { showStdout?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (opts.showStdout) process.stderr.write(c);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code ?? signal}\n${out}`));
    });
  });
}

/** SIGTERM, then SIGKILL after timeoutMs; resolves once it has exited (at once if it already has). */
export async function stopChild(child: ChildProcess | undefined, timeoutMs = 35_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** The last lines of a log, for error messages ('' if there is none). */
export async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Polls url until it answers 2xx; fails early, with the log's tail, if the process exits. */
export async function waitReady(url: string, child: ChildProcess, logFile: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${url}: the process exited (${child.exitCode ?? child.signalCode}):\n${await tail(logFile)}`,
      );
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {}
    if (Date.now() > deadline)
      throw new Error(`${url} not ready after ${timeoutMs / 1000} s:\n${await tail(logFile)}`);
    await sleep(100);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A process's resident memory (VmRSS) in MB, one decimal; null if it is gone or unknown. */
export function rssMb(pid: number | undefined): Promise<number | null> {
  if (!pid) return Promise.resolve(null);
  return readFile(`/proc/${pid}/status`, 'utf8').then(
    (status) => {
      const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
      return kb ? Math.round((Number(kb) / 1024) * 10) / 10 : null;
    },
    () => null,
  );
}
