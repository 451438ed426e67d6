import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { tooManyRequests } from '../../http/index.ts';
import type { Counters } from '../../platform/kv.ts';

export interface ThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
}

/**
 * Failed-login throttling per account and per IP (always on, separate from the general rate
 * limit). If the counter store is down it fails open: logins keep working, and we log it.
 */
export function createLoginThrottle(counters: Counters, settings: ThrottleSettings, log: Logger) {
  const windowMs = settings.windowSeconds * 1000;
  const accountKey = (email: string) =>
    `login-fail:acct:${createHash('sha256').update(email.toLowerCase()).digest('hex')}`;
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
    /** Throws 429 with Retry-After while the account or the IP is locked out. */
    async assertAllowed(email: string, ip: string): Promise<void> {
      const [account, address] = await safely(
        [
          { count: 0, resetInMs: 0 },
          { count: 0, resetInMs: 0 },
        ],
        () => Promise.all([counters.peek(accountKey(email)), counters.peek(ipKey(ip))]),
      );
      if (account.count >= settings.maxFailuresPerAccount) {
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
    async recordFailure(email: string, ip: string): Promise<void> {
      await safely(undefined, async () => {
        await Promise.all([counters.hit(accountKey(email), windowMs), counters.hit(ipKey(ip), windowMs)]);
      });
    },
    async recordSuccess(email: string): Promise<void> {
      await safely(undefined, () => counters.reset(accountKey(email)));
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
