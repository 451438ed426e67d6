/**
 * `npm run cli -- <command> [options]`: the operator's commands (src/cli/commands.ts lists them).
 *
 * - `--help`/`-h` (on any command, before `--`), `help [command]`: usage on stdout, exit 0, and
 *   nothing opened: no configuration read, no database.
 * - Arguments are checked before anything opens (src/cli/command.ts).
 * - Exit status 0 when done, 1 on any failure, with one line on stderr saying why
 *   (src/cli/failure.ts); `--verbose` or LOG_LEVEL=debug adds the whole error.
 */
import { inspect } from 'node:util';
import { parseCommand } from './cli/command.ts';
import { commandNamed, suggestion, USAGE } from './cli/commands.ts';
import { UsageError } from './cli/usage.ts';

/** The options part of a list of arguments: what comes before `--` (after it, every word is a value). */
const optionsOf = (list: string[]) => (list.includes('--') ? list.slice(0, list.indexOf('--')) : list);

const args = process.argv.slice(2);
const verbose = optionsOf(args).includes('--verbose');
// What a command sees: everything but the CLI's own flag.
const [name, ...rest] = verbose ? args.toSpliced(args.indexOf('--verbose'), 1) : args;
const wantsHelp = (list: string[]) => optionsOf(list).some((a) => a === '--help' || a === '-h');

async function main(): Promise<number> {
  if (name === undefined) {
    console.error(USAGE);
    return 1;
  }
  if (name === '--help' || name === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (name === 'help') {
    const about = rest[0] === undefined ? undefined : known(rest[0]);
    console.log(about?.usage ?? USAGE);
    return 0;
  }
  const command = known(name);
  if (wantsHelp(rest)) {
    console.log(command.usage);
    return 0;
  }
  return command.run(parseCommand(command, rest));
}

function known(given: string) {
  const command = commandNamed(given);
  if (command) return command;
  if (given.startsWith('-')) throw new UsageError(`unknown option "${given}" (a command comes first)`);
  const meant = suggestion(given);
  throw new UsageError(`unknown command "${given}"${meant ? ` (did you mean ${meant}?)` : ''}`);
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    const { describeFailure } = await import('./cli/failure.ts'); // only when something failed
    const command = name && commandNamed(name);
    console.error(
      describeFailure(error, command ? command.name : undefined, command ? command.inUseHint : ''),
    );
    if (verbose || ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '')) console.error(inspect(error));
    process.exit(1);
  },
);
