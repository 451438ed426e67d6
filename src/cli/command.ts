import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config.ts';
import type { Platform } from '../platform/platform.ts';
import { UsageError } from './usage.ts';

/** The product's code a command runs with, loaded when one runs (runtime.ts). */
export const runtime = () => import('./runtime.ts');

/** A command's arguments, checked against what it takes. */
export interface Parsed {
  args: string[];
  values: ReturnType<typeof parseArgs>['values'];
  positionals: string[];
}

/** One `npm run cli -- <name>` command. */
export interface Command {
  name: string;
  /** Its line in the command list. */
  summary: string;
  /** Its `--help`: starts `Usage: npm run cli -- <name>`, then what it does and each option. */
  usage: string;
  options?: ParseArgsOptionsConfig;
  /** How many positional arguments it takes (none unless said). */
  positionals?: number;
  /** Added to the one line said when another process holds the embedded database. */
  inUseHint?: string;
  run(parsed: Parsed): Promise<number>;
}

/**
 * Checks the arguments before anything is opened, so a typo is told at once (not after connecting
 * to a database that may be down): options are strict, positionals counted.
 */
export function parseCommand(command: Command, args: string[]): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: command.options ?? {},
      allowPositionals: true,
    });
    const most = command.positionals ?? 0;
    if (positionals.length > most) throw new UsageError(`Unexpected argument '${positionals[most]}'`);
    return { args, values, positionals };
  } catch (error) {
    // parseArgs says it in one sentence, then how to pass a value that starts with '-': the first will do.
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError((error as Error).message.split('. ')[0]!);
    }
    throw error;
  }
}

/**
 * The configuration as the server reads it, but quieter: a command's own lines are what the operator
 * reads, so its log shows warnings and errors only, unless LOG_LEVEL is set.
 */
export function cliConfig(): Config {
  const config = loadConfig();
  return process.env.LOG_LEVEL ? config : { ...config, logLevel: 'warn' };
}

/**
 * Runs `work` on a Platform, closed afterwards. Its log goes to stderr (stdout is the command's
 * result), written synchronously so nothing is lost when the CLI exits. `migrate` overrides
 * MIGRATE_ON_START: false for commands that must not change the schema or report it themselves,
 * true for one that must work on an empty database.
 */
export async function withPlatform<T>(
  work: (platform: Platform) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const { createLogger, createPlatform, pino } = await runtime();
  const config = cliConfig();
  const migrateOnStart = options.migrate ?? config.migrateOnStart;
  const platform = await createPlatform(
    { ...config, migrateOnStart },
    {
      logger: createLogger(config.logLevel, pino.destination({ dest: 2, sync: true })),
    },
  );
  try {
    return await work(platform);
  } finally {
    await platform.close();
  }
}
