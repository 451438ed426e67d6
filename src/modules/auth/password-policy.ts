import { readFileSync } from 'node:fs';
import { AppError } from '../../http/index.ts';

/**
 * What a new password must not be (register, password change, password reset, admin creation).
 * The length rule (10–256) is the request schema's; this is the rest.
 *
 * Invariants:
 * - A common password is refused however it is cased, and so is one that is a common password with
 *   digits or symbols around it (`password12`, `!dragon2024`).
 * - So are trivial patterns: a short unit repeated (`aaaaaaaaaa`, `abababab…`), a run of a sequence
 *   (`1234567890`, `abcdefghij`, `qwertyuiop`, either way round), and the account's own e-mail,
 *   its local part or the user's name (with digits or symbols around them).
 * - The answer says why (400 WEAK_PASSWORD), and never echoes the password.
 */

/** Shipped with the project (no network): see the file's header for where it comes from. */
const COMMON: ReadonlySet<string> = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#')),
);

/** Runs people type: digits, the alphabet, keyboard rows (each is also refused backwards). */
const SEQUENCES = [
  '01234567890123456789',
  'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz',
  'qwertyuiopasdfghjklzxcvbnm',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p',
  'qazwsxedcrfvtgbyhnujmikolp',
];
const SEQUENCES_BOTH_WAYS = SEQUENCES.flatMap((s) => [s, [...s].reverse().join('')]);

/** A short unit said again and again: `aaaaaaaaaa`, `abcabcabca`. */
function isRepetition(password: string): boolean {
  const chars = [...password];
  for (let unit = 1; unit <= 3; unit++) {
    if (chars.every((c, i) => c === chars[i % unit])) return true;
  }
  return false;
}

/** Lower-cased, with the digits and symbols around it dropped: `!Dragon2024` → `dragon`. */
const coreOf = (password: string) => password.toLowerCase().replace(/^[\d\W_]+|[\d\W_]+$/gu, '');
/** Letters and digits only: how an e-mail or a name is compared. */
const lettersOf = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/** Why the password is refused, or null when it is acceptable. */
export function passwordWeakness(password: string, account: { email: string; name: string }): string | null {
  const lower = password.toLowerCase();
  const core = coreOf(password);
  if (COMMON.has(lower) || (core.length >= 4 && COMMON.has(core)))
    return 'it is one of the most common passwords';
  if (isRepetition(lower)) return 'it repeats the same characters';
  const compact = lettersOf(password);
  if (compact.length >= 4 && SEQUENCES_BOTH_WAYS.some((s) => s.includes(compact)))
    return 'it is a run of keys or characters in order (like 1234567890 or qwertyuiop)';
  const email = account.email.trim().toLowerCase();
  const own = [email, email.split('@')[0] ?? '', account.name].map(lettersOf).filter((s) => s.length >= 3);
  const coreLetters = lettersOf(core);
  if (own.some((s) => s === compact || s === coreLetters)) return 'it is your e-mail address or name';
  return null;
}

/** Throws 400 WEAK_PASSWORD when the password is refused. */
export function assertStrongPassword(
  password: string,
  account: { email: string; name: string },
  field: 'password' | 'newPassword' = 'password',
): void {
  const weakness = passwordWeakness(password, account);
  if (weakness) {
    throw new AppError(400, 'WEAK_PASSWORD', `Choose another password: ${weakness}`, {
      errors: [{ path: `body.${field}`, message: weakness }],
    });
  }
}
