/** Every CLI command, in the order the help lists them, and the help that lists them. */
import type { Command } from './command.ts';
import { backups, openapi, phiRotate, seedLoad } from './data.ts';
import { analyticsRebuild, auditVerify, createAdmin, migrate, partitions } from './operations.ts';
import { seedDemoCommand } from './seed-demo.ts';

export const COMMANDS: readonly Command[] = [
  migrate,
  createAdmin,
  seedDemoCommand,
  auditVerify,
  seedLoad,
  phiRotate,
  ...backups,
  partitions,
  analyticsRebuild,
  openapi,
];

export const commandNamed = (name: string) => COMMANDS.find((c) => c.name === name);

/** Each command's synopsis: its usage's first line, less the `npm run cli --` every one starts with. */
const synopsis = (c: Command) => c.usage.split('\n')[0]!.replace(/^Usage: npm run cli -- /, '');

const COLUMN = 42;

export const USAGE = `Usage: npm run cli -- <command> [options]
Commands (npm run cli -- <command> --help, or help <command>, says what each does and takes):
${COMMANDS.map((c) => {
  const s = synopsis(c);
  return s.length < COLUMN
    ? `  ${s.padEnd(COLUMN)}${c.summary}`
    : `  ${s}\n  ${' '.repeat(COLUMN)}${c.summary}`;
}).join('\n')}
Options of every command:
  --help, -h                                what it does and takes; opens nothing
  --verbose                                 on failure, the whole error (also with LOG_LEVEL=debug)
Configuration comes from the environment as for the server (.env.example): DATABASE_URL (unset: the
embedded database in DATA_DIR), REDIS_URL, PHI_ENCRYPTION_KEYS, …
Exit status: 0 done; 1 failed, with one line on stderr saying why (wrong usage, configuration, the
database unreachable or held by the server, a check that found a problem).`;

/** The command meant by a mistyped name: one a letter or two away, or the only one it begins. */
export function suggestion(name: string): string | undefined {
  const near = COMMANDS.filter((c) => distance(c.name, name) <= 2 || c.name.startsWith(name));
  return near.length === 1 ? near[0]!.name : undefined;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
