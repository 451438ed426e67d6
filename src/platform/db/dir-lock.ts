import { open, readFile, unlink } from 'node:fs/promises';

/** Another live process has the embedded database open (PGlite is one process's, never two). */
export class DataDirInUse extends Error {
  constructor(dir: string, owner: Owner) {
    super(
      `the embedded database in ${dir} is open in process ${owner.pid} (${owner.command}); stop that process first`,
    );
    this.name = 'DataDirInUse';
  }
}

interface Owner {
  pid: number;
  command: string;
}

/** The lock's owner as written, or nobody (an empty or half-written file: its writer died). */
async function ownerOf(file: string): Promise<Owner> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Owner;
  } catch {
    return { pid: 0, command: '' };
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes `<dir>.lock` for this process (its pid and command inside), or throws DataDirInUse naming
 * the live process that holds it. A lock left by a process that died is taken over. Returns the
 * release (removes the file if it is still this process's).
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = `${dir}.lock`;
  const mine = JSON.stringify({ pid: process.pid, command: process.argv.slice(1).join(' ') });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(mine);
      await handle.close();
      return async () => {
        if ((await readFile(file, 'utf8').catch(() => '')) === mine) await unlink(file).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = await ownerOf(file);
      if (owner.pid > 0 && owner.pid !== process.pid && alive(owner.pid)) throw new DataDirInUse(dir, owner);
      await unlink(file).catch(() => {}); // left by a process that died
    }
  }
  throw new Error(`could not take ${file}`);
}
