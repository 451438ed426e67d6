import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Development convenience: a secret generated on first start and kept in DATA_DIR so restarts
 * keep working (tokens stay valid, encrypted values stay readable). Production passes secrets
 * through the environment instead.
 */
export async function readOrCreateSecretFile(file: string, create: () => string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const value = create();
  try {
    // 'wx': if another process created it meanwhile, theirs wins and we read it back.
    await writeFile(file, value, { mode: 0o600, flag: 'wx' });
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFile(file, 'utf8');
  }
}
