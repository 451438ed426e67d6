import { ConfigError } from '../config.ts';
import { SeedRefused } from '../db/seed/accounts.ts';
import { AppError } from '../http/errors.ts';
import { DataDirInUse } from '../platform/db/dir-lock.ts';
import { seeHelp, UsageError } from './usage.ts';

/**
 * Why a command failed, in one line for the operator (src/cli.ts adds the whole error only with
 * --verbose or LOG_LEVEL=debug). A problem with the environment (configuration, the database, the
 * embedded database's lock) is said as it is; the command's own (usage, refusals, anything
 * unforeseen) starts with the command's name.
 */
export function describeFailure(error: unknown, command: string | undefined, inUseHint = ''): string {
  if (error instanceof UsageError)
    return `${command ? `${command}: ` : ''}${error.message}; ${seeHelp(command)}`;
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join('; ')}`;
  if (error instanceof DataDirInUse) return `${error.message}${inUseHint}`;
  const database = databaseProblem(error);
  if (database) return database;
  const message = error instanceof Error ? error.message : String(error);
  // The platform names the variable behind what it can't use (`REDIS_URL: cannot connect (…)`).
  if (/^[A-Z][A-Z0-9_]+: /.test(message)) return message;
  // Refusals the code words for the operator; anything else is unforeseen, and --verbose says where.
  if (error instanceof SeedRefused || error instanceof AppError) return `${command}: ${message}`;
  return `${command}: ${message.split('\n')[0]} (--verbose shows the whole error)`;
}

/** What the network said, in words (Node's error codes). */
const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is it running?)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be looked up',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'the connection was reset',
};

/** PostgreSQL refusing the connection itself (SQLSTATE), and what to do about it. */
const REFUSALS: Record<string, string> = {
  '3D000': 'create it first (createdb), or point DATABASE_URL at one that exists',
  '28P01': 'check the user and password in DATABASE_URL',
  '28000': 'check the user in DATABASE_URL and pg_hba.conf',
  '57P03': 'it is starting up or shutting down: try again in a moment',
  '53300': 'it has no connection to spare: lower DATABASE_POOL_MAX or raise max_connections',
};

interface NetError {
  code?: string;
  address?: string;
  hostname?: string;
  port?: number;
  errors?: NetError[];
}

/**
 * A database that can't be reached or refuses us. A host name with several addresses (localhost:
 * ::1 and 127.0.0.1) fails as an AggregateError of one error per address.
 */
function databaseProblem(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as NetError & { message?: string };
  const first = e.errors?.[0] ?? e;
  const code = e.code ?? first.code;
  if (code && code in REFUSALS) return `PostgreSQL refused the connection: ${e.message}: ${REFUSALS[code]}`;
  if (!code || !(code in NETWORK)) return undefined;
  const host = first.hostname ?? first.address;
  const named = configuredAt(host, first.port);
  const where = named ?? `${host ?? 'an unknown host'}${first.port ? `:${first.port}` : ''}`;
  return `cannot reach PostgreSQL at ${where}: ${NETWORK[code]}`;
}

/**
 * `host:port (VARIABLE)` when a configured URL is the one that failed, matched by port (the error
 * carries the resolved address, the URL may say localhost) or, for a name that didn't resolve, by
 * host. Another URL (restore's --into) is said as the error has it.
 */
function configuredAt(host: string | undefined, port: number | undefined): string | undefined {
  for (const variable of ['DATABASE_URL', 'DATABASE_REPLICA_URL']) {
    const value = process.env[variable];
    if (!value) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue;
    }
    const urlPort = Number(url.port || 5432);
    if (port === undefined ? url.hostname === host : urlPort === port) {
      return `${url.hostname}:${urlPort} (${variable})`;
    }
  }
  return undefined;
}
