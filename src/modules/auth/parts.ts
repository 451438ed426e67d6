import type { Logger } from 'pino';
import type { Role } from '../../config.ts';
import { unauthorized } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Cipher } from '../../platform/crypto.ts';
import type { Db } from '../../platform/db/index.ts';
import type { User } from '../../platform/db/schema.ts';
import type { Counters } from '../../platform/kv.ts';
import type { Mailer } from '../../platform/mail.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { AuditService } from '../audit/service.ts';
import type { Outbox } from '../outbox/service.ts';
import * as repo from './repo.ts';
import type { Revocations } from './revocations.ts';
import type { LoginThrottle } from './throttle.ts';
import type { TokenService } from './tokens.ts';

/** What the auth service's parts (sessions, MFA, account, password reset) are built from. */
export interface AuthDeps {
  db: Db;
  clock: Clock;
  cipher: Cipher;
  tokens: TokenService;
  throttle: LoginThrottle;
  revocations: Revocations;
  audit: AuditService;
  outbox: Outbox;
  mailer: Mailer;
  counters: Counters;
  metrics: Metrics;
  logger: Logger;
  /**
   * A user's name is part of a doctor's public profile: called inside the transaction that changed
   * it; what it returns is called after the commit (the doctors module, wired in services.ts).
   */
  nameChanged: (tx: Db, userId: string) => Promise<() => Promise<void>>;
  settings: {
    refreshTtlDays: number;
    refreshReuseGraceSeconds: number;
    /** Browsers' refresh cookie is `Secure` (cookie-session.ts): not in development, which may be plain http. */
    secureCookies: boolean;
    mfaRequiredRoles: readonly Role[];
    /** Where the web app is: reset mails link to it. */
    publicUrl: string;
    passwordReset: { ttlMinutes: number; mailsPerHour: number };
  };
}

export interface PublicUser {
  id: string;
  email: string;
  role: Role;
  name: string;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export const publicUser = (u: User): PublicUser => ({ id: u.id, email: u.email, role: u.role, name: u.name });

/** GET /me and PATCH /me: the account as its owner sees it. */
export const accountOf = (u: User) => ({
  ...publicUser(u),
  phone: u.phone,
  locale: u.locale,
  dateOfBirth: u.date_of_birth,
  sex: u.sex,
  mfaEnabled: u.mfa_enabled,
  createdAt: u.created_at.toISOString(),
});

export const invalidCredentials = () => unauthorized('Email or password is incorrect', 'INVALID_CREDENTIALS');

/**
 * How audit rows name an e-mail address that has no account: a keyed digest (HMAC under a subkey
 * of the PHI keys), so the rows can be matched to an address someone gives, but an address can't
 * be guessed from the rows alone. Trimmed and lower-cased first, like every lookup.
 */
export const emailDigest = (cipher: Cipher, email: string) =>
  cipher.digests(email.trim().toLowerCase(), 'audit e-mail')[0]!;

/** Counts an outcome in `auth_events_total`. */
export const eventCounter = (metrics: Metrics) => (event: string) => metrics.authEvents.inc({ event });

/** An admin suspended the account: no sign-in, refresh or access token of it works until it is reactivated. */
export const accountSuspended = () =>
  unauthorized('The account is suspended; contact support', 'ACCOUNT_SUSPENDED');

/** A valid token of an account that was deleted since. */
export const accountGone = () => unauthorized('The account no longer exists', 'INVALID_TOKEN');

export async function loadUser(db: Db, id: string): Promise<User> {
  const user = await repo.findUserById(db, id);
  if (!user) throw accountGone();
  return user;
}

/** Register, login, MFA, refresh and password reset: a tighter limit per IP and per route than the general one. */
export const authLimit = (route: string, perMinute: number) => ({
  rateLimit: { max: perMinute, scope: `auth:${route}`, by: 'ip' as const },
});
