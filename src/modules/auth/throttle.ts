import type { Logger } from 'pino';
import { tooManyRequests } from '../../http/index.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import type { Counters, WindowCount } from '../../platform/kv.ts';

export interface ThrottleSettings {
  /** Failures of one account from one address before that pair is slowed down. */
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

/** Trimmed and lower-cased: every spelling of one address shares one counter. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** Failures of one account across all addresses, in pair limits, before it is "under attack". */
const ACCOUNT_CAP_FACTOR = 4;
/** The first wait of a pair past its limit; each further attempt doubles it, up to the window. */
const FIRST_BACKOFF_MS = 30_000;

/**
 * Failed-login throttling (always on, separate from the general rate limit). Nobody can lock
 * someone else out: a correct password from a client without recent failures is never refused.
 *
 * Invariants:
 * - Per account + client address (the pair): attempts are counted *before* the password is
 *   checked (a parallel burst can't slip past); past the limit each attempt waits a back-off that
 *   doubles (429 + Retry-After), one attempt let through per back-off. A success clears the pair.
 * - Per account across all addresses (a softer cap, ACCOUNT_CAP_FACTOR × the pair limit): past it,
 *   a pair is slowed down after its first failure instead of after the limit, and the owner is told
 *   once per window (`failed` answers `alertOwner`). It refuses nobody by itself.
 * - Per address across accounts: past the limit of failures, the address is refused (429).
 * - Unknown e-mail addresses are counted like known ones: the throttle tells nothing about accounts.
 * - The second factor has its own count per user (`secondFactor`), which a right password doesn't clear.
 * - If the counter store is down it fails open: logins keep working, and we log it.
 */
export function createLoginThrottle(counters: Counters, settings: ThrottleSettings, log: Logger) {
  const windowMs = settings.windowSeconds * 1000;
  const accountCap = settings.maxFailuresPerAccount * ACCOUNT_CAP_FACTOR;
  const keys = (email: string, ip: string) => {
    const account = sha256Hex(normaliseEmail(email));
    return {
      account: `login-fail:acct:${account}`,
      pair: `login-attempt:pair:${account}:${ip}`,
      backoff: `login-backoff:pair:${account}:${ip}`,
      alerted: `login-alerted:acct:${account}`,
    };
  };
  const ipKey = (ip: string) => `login-fail:ip:${ip}`;
  const backoffMs = (overLimit: number) => Math.min(windowMs, FIRST_BACKOFF_MS * 2 ** (overLimit - 1));

  async function safely<T>(fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      log.warn({ err: error }, 'login throttle store unavailable; failing open');
      return fallback;
    }
  }

  /** The wait (429) this pair's attempt must honour, if any; arms the wait when it reaches the limit. */
  async function pairWait(email: string, ip: string): Promise<WindowCount | null> {
    const k = keys(email, ip);
    const [failures, attempts] = await Promise.all([
      counters.peek(k.account),
      counters.hit(k.pair, windowMs),
    ]);
    const limit = failures.count >= accountCap ? 1 : settings.maxFailuresPerAccount;
    if (attempts.count < limit) return null;
    // At the limit the wait is armed for the next attempt; past it, only the attempt that starts a
    // new wait goes through.
    const wait = await counters.hit(k.backoff, backoffMs(attempts.count - limit + 1));
    return attempts.count > limit && wait.count > 1 ? wait : null;
  }

  return {
    /** Before the password is checked: throws 429 (Retry-After) while this client must wait. */
    async attempt(email: string, ip: string): Promise<void> {
      const address = await safely({ count: 0, resetInMs: 0 }, () => counters.peek(ipKey(ip)));
      if (address.count >= settings.maxFailuresPerIp) {
        throw tooManyRequests(
          address.resetInMs / 1000,
          'Too many failed logins from this address; try again later',
        );
      }
      const wait = await safely(null, () => pairWait(email, ip));
      if (wait)
        throw tooManyRequests(wait.resetInMs / 1000, 'Too many failed logins; wait before trying again');
    },

    /** A wrong password. `alertOwner`: the account just passed its cap; tell its owner (once a window). */
    async failed(email: string, ip: string): Promise<{ alertOwner: boolean }> {
      const k = keys(email, ip);
      return safely({ alertOwner: false }, async () => {
        const [failures] = await Promise.all([
          counters.hit(k.account, windowMs),
          counters.hit(ipKey(ip), windowMs),
        ]);
        if (failures.count < accountCap) return { alertOwner: false };
        return { alertOwner: (await counters.hit(k.alerted, windowMs)).count === 1 };
      });
    },

    /** The whole sign-in succeeded (second factor included): this client starts afresh. */
    async succeeded(email: string, ip: string): Promise<void> {
      const k = keys(email, ip);
      await safely(undefined, async () => {
        await Promise.all([counters.reset(k.pair), counters.reset(k.backoff)]);
      });
    },

    /** The password was reset from `ip`: the account's failures, and that client's wait, are cleared. */
    async cleared(email: string, ip: string): Promise<void> {
      const k = keys(email, ip);
      await safely(undefined, async () => {
        await Promise.all([counters.reset(k.account), counters.reset(k.pair), counters.reset(k.backoff)]);
      });
    },

    /** Before a second factor (TOTP or recovery code) is checked: 429 past the limit of attempts. */
    async secondFactor(userId: string): Promise<void> {
      const tries = await safely({ count: 0, resetInMs: 0 }, () =>
        counters.hit(`mfa-attempt:user:${userId}`, windowMs),
      );
      if (tries.count > settings.maxFailuresPerAccount) {
        throw tooManyRequests(tries.resetInMs / 1000, 'Too many wrong codes; try again later');
      }
    },

    /** A second factor was right: its count starts afresh. */
    async secondFactorPassed(userId: string): Promise<void> {
      await safely(undefined, () => counters.reset(`mfa-attempt:user:${userId}`));
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
