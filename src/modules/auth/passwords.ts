import { hash, parseOptions, verify } from '@node-rs/argon2';

/**
 * Pinned argon2id parameters (OWASP: m = 19 MiB, t = 2, p = 1). Changing them makes every
 * stored hash "stale"; those are re-hashed on the user's next successful login.
 */
export const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  // The default algorithm of @node-rs/argon2 is argon2id.
  return hash(password, ARGON2_PARAMS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

export function needsRehash(stored: string): boolean {
  if (!stored.startsWith('$argon2id$')) return true;
  const p = parseOptions(stored);
  return (
    p.memoryCost !== ARGON2_PARAMS.memoryCost ||
    p.timeCost !== ARGON2_PARAMS.timeCost ||
    p.parallelism !== ARGON2_PARAMS.parallelism
  );
}

/** Verified against when the account doesn't exist, so timing doesn't tell whether it does. */
let decoy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  decoy ??= hashPassword('decoy-password-for-timing');
  await verifyPassword(await decoy, password);
}
