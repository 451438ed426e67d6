import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { tooManyRequests } from '../../http/index.ts';
import type { Counters } from '../../platform/kv.ts';

export interface ThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

/** Trimmed and lower-cased: every spelling of one address shares one counter. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/**
 * Login throttling per account and per IP (always on, separate from the general rate limit).
 * An account's attempts are counted *before* the password is checked, so a parallel burst can't
 * slip past the limit; a success (the whole login, second factor included) clears the count.
 * If the counter store is down it fails open: logins keep working, and we log it.
 */
export function createLoginThrottle(counters: Counters, settings: ThrottleSettings, log: Logger) {
  const windowMs = settings.windowSeconds * 1000;
  const accountKey = (email: string) =>
    `login-attempt:acct:${createHash('sha256').update(normaliseEmail(email)).digest('hex')}`;
  const ipKey = (ip: string) => `login-fail:ip:${ip}`;

  async function safely<T>(fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      log.warn({ err: error }, 'login throttle store unavailable; failing open');
      return fallback;
    }
  }

  return {
    /** Counts one attempt for the account; throws 429 with Retry-After past either limit. */
    async attempt(email: string, ip: string): Promise<void> {
      const none = { count: 0, resetInMs: 0 };
      const [account, address] = await safely([none, none], () =>
        Promise.all([counters.hit(accountKey(email), windowMs), counters.peek(ipKey(ip))]),
      );
      if (account.count > settings.maxFailuresPerAccount) {
        throw tooManyRequests(
          account.resetInMs / 1000,
          'Too many failed logins for this account; try again later',
        );
      }
      if (address.count >= settings.maxFailuresPerIp) {
        throw tooManyRequests(
          address.resetInMs / 1000,
          'Too many failed logins from this address; try again later',
        );
      }
    },
    async failed(ip: string): Promise<void> {
      await safely(undefined, async () => {
        await counters.hit(ipKey(ip), windowMs);
      });
    },
    async succeeded(email: string): Promise<void> {
      await safely(undefined, () => counters.reset(accountKey(email)));
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
