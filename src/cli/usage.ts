/**
 * Wrong use of the CLI (an unknown command or option, a missing or bad value): said in one line
 * that points at the help, and exit status 1 like every other failure (src/cli.ts).
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The pointer every usage error ends with: the command's help, or the command list. */
export const seeHelp = (command?: string) => `see npm run cli -- ${command ? `${command} ` : ''}--help`;
