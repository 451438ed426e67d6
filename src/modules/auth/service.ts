import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Role } from '../../config.ts';
import {
  AppError,
  type AuthContext,
  conflict,
  forbidden,
  type RequestMeta,
  SYSTEM,
  unauthorized,
} from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { type Cipher, sha256Hex } from '../../platform/crypto.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { User } from '../../platform/db/schema.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { AuditService } from '../audit/service.ts';
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import * as repo from './repo.ts';
import { type LoginThrottle, normaliseEmail } from './throttle.ts';
import { hashRefreshToken, newRefreshToken, type TokenService } from './tokens.ts';
import { hashRecoveryCode, matchTotp, newRecoveryCodes, newTotpSecret, totpUri } from './totp.ts';

export interface AuthDeps {
  db: Db;
  clock: Clock;
  cipher: Cipher;
  tokens: TokenService;
  throttle: LoginThrottle;
  audit: AuditService;
  metrics: Metrics;
  logger: Logger;
  settings: { refreshTtlDays: number; refreshReuseGraceSeconds: number; mfaRequiredRoles: readonly Role[] };
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

const invalidCredentials = () => unauthorized('Email or password is incorrect', 'INVALID_CREDENTIALS');
const invalidMfaCode = () => unauthorized('The code is not valid', 'INVALID_MFA_CODE');
const DAY_MS = 86_400_000;

export const publicUser = (u: User): PublicUser => ({ id: u.id, email: u.email, role: u.role, name: u.name });
const secretContext = (userId: string) => `users.mfa_secret:${userId}`;

export function createAuthService(deps: AuthDeps) {
  const { db, clock, cipher, tokens, throttle, audit, settings } = deps;
  const count = (event: string) => deps.metrics.authEvents.inc({ event });

  /** A new refresh-token family (one per login) and its first access token. */
  async function startSession(tx: Db, user: User, mfa: boolean): Promise<Session> {
    const familyId = randomUUID();
    return continueSession(tx, user.id, user.role, familyId, mfa);
  }

  async function continueSession(
    tx: Db,
    userId: string,
    role: Role,
    familyId: string,
    mfa: boolean,
  ): Promise<Session> {
    const now = clock.now();
    const refresh = newRefreshToken();
    await repo.insertRefreshToken(tx, {
      userId,
      familyId,
      hash: refresh.hash,
      mfa,
      now,
      expiresAt: new Date(now.getTime() + settings.refreshTtlDays * DAY_MS),
    });
    const accessToken = await tokens.issueAccessToken({ id: userId, role }, familyId, mfa);
    return { accessToken, refreshToken: refresh.token, expiresIn: tokens.accessTtlSeconds };
  }

  async function loadUser(id: string): Promise<User> {
    const user = await repo.findUserById(db, id);
    if (!user) throw unauthorized('The account no longer exists', 'INVALID_TOKEN');
    return user;
  }

  /** A TOTP code (once per time step) or an unused recovery code. */
  async function checkSecondFactor(
    tx: Db,
    user: User,
    code: string,
  ): Promise<'totp' | 'recovery_code' | null> {
    if (!user.mfa_secret) return null;
    const trimmed = code.trim();
    if (/^\d{6}$/.test(trimmed)) {
      const secret = cipher.decrypt(user.mfa_secret, secretContext(user.id));
      const step = matchTotp(secret, trimmed, clock.now(), user.mfa_last_step);
      if (step === null) return null;
      return (await repo.claimTotpStep(tx, user.id, step)) ? 'totp' : null;
    }
    return (await repo.consumeRecoveryCode(tx, user.id, hashRecoveryCode(trimmed), clock.now()))
      ? 'recovery_code'
      : null;
  }

  async function createUser(input: {
    email: string;
    password: string;
    name: string;
    role: Role;
    phone?: string | undefined;
  }) {
    const passwordHash = await hashPassword(input.password);
    const now = clock.now();
    return async (tx: Db) => {
      try {
        return await repo.insertUser(tx, {
          email: input.email.trim(),
          password_hash: passwordHash,
          role: input.role,
          name: input.name.trim(),
          phone: input.phone ?? null,
          mfa_secret: null,
          mfa_pending_secret: null,
          mfa_last_step: null,
          created_at: now,
          updated_at: now,
        });
      } catch (error) {
        if (sqlState(error) === SqlState.uniqueViolation) {
          throw conflict('EMAIL_TAKEN', 'An account with this email already exists');
        }
        throw error;
      }
    };
  }

  return {
    async register(
      input: {
        email: string;
        password: string;
        name: string;
        role: 'patient' | 'doctor';
        phone?: string | undefined;
      },
      meta: RequestMeta,
    ): Promise<{ user: PublicUser } & Session> {
      const insert = await createUser(input);
      const result = await db.transaction().execute(async (tx) => {
        const user = await insert(tx);
        const actor = { id: user.id, role: user.role };
        await audit.record(tx, meta, { action: 'auth.register', entity: 'user', entityId: user.id, actor });
        return { user: publicUser(user), ...(await startSession(tx, user, false)) };
      });
      count('register');
      return result;
    },

    async login(
      input: { email: string; password: string },
      meta: RequestMeta,
    ): Promise<({ user: PublicUser } & Session) | { mfaRequired: true; mfaToken: string }> {
      const ip = meta.ip ?? 'unknown';
      const email = normaliseEmail(input.email);
      await throttle.attempt(email, ip);
      const user = await repo.findUserByEmail(db, email);
      const passwordOk = user
        ? await verifyPassword(user.password_hash, input.password)
        : await burnPasswordCheck(input.password);
      if (!user || !passwordOk) {
        await throttle.failed(ip);
        await audit.record(db, meta, {
          action: 'auth.login_failed',
          entity: 'user',
          entityId: user?.id ?? null,
          actor: user ? { id: user.id, role: user.role } : null,
          // A hash, not the text: people type passwords into the email field, and audit rows are forever.
          details: user
            ? { reason: 'wrong_password' }
            : { reason: 'unknown_email', emailSha256: sha256Hex(email) },
        });
        count('login_failed');
        throw invalidCredentials();
      }
      // With MFA on, the attempt only counts as a success once the second factor is in.
      if (!user.mfa_enabled) await throttle.succeeded(email);
      if (needsRehash(user.password_hash)) {
        await repo.updatePasswordHash(db, user.id, await hashPassword(input.password), clock.now());
      }
      const actor = { id: user.id, role: user.role };
      if (user.mfa_enabled) {
        await audit.record(db, meta, {
          action: 'auth.mfa_challenge',
          entity: 'user',
          entityId: user.id,
          actor,
        });
        count('mfa_challenge');
        return { mfaRequired: true, mfaToken: await tokens.issueMfaToken(user.id) };
      }
      const session = await db.transaction().execute(async (tx) => {
        await audit.record(tx, meta, {
          action: 'auth.login',
          entity: 'user',
          entityId: user.id,
          actor,
          details: { mfa: false },
        });
        return startSession(tx, user, false);
      });
      count('login');
      return { ...session, user: publicUser(user) };
    },

    async verifyMfa(
      input: { mfaToken: string; code: string },
      meta: RequestMeta,
    ): Promise<{ user: PublicUser } & Session> {
      const userId = await tokens.verifyMfaToken(input.mfaToken);
      const user = await loadUser(userId);
      const ip = meta.ip ?? 'unknown';
      await throttle.attempt(user.email, ip);
      const actor = { id: user.id, role: user.role };
      const outcome = await db.transaction().execute(async (tx) => {
        const method = await checkSecondFactor(tx, user, input.code);
        if (!method) return null;
        await audit.record(tx, meta, {
          action: 'auth.login',
          entity: 'user',
          entityId: user.id,
          actor,
          details: { mfa: true, method },
        });
        return startSession(tx, user, true);
      });
      if (!outcome) {
        await throttle.failed(ip);
        await audit.record(db, meta, { action: 'auth.mfa_failed', entity: 'user', entityId: user.id, actor });
        count('mfa_failed');
        throw invalidMfaCode();
      }
      await throttle.succeeded(user.email);
      count('login');
      return { ...outcome, user: publicUser(user) };
    },

    async refresh(refreshToken: string, meta: RequestMeta): Promise<Session> {
      const now = clock.now();
      const outcome = await db.transaction().execute(async (tx) => {
        const token = await repo.lockRefreshToken(tx, hashRefreshToken(refreshToken));
        if (!token || token.revoked_at || token.expires_at <= now) return { kind: 'invalid' as const };
        if (token.rotated_at) {
          const sinceRotation = now.getTime() - token.rotated_at.getTime();
          // Two tabs refreshing with the same token at once: both get a session, nobody is logged out.
          // Once only: a third presentation is treated as theft, so a stolen token can't fork the family.
          if (sinceRotation <= settings.refreshReuseGraceSeconds * 1000 && !token.grace_used) {
            await repo.useGrace(tx, token.id);
            return {
              kind: 'ok' as const,
              session: await continueSession(tx, token.user_id, token.role, token.family_id, token.mfa),
            };
          }
          const revoked = await repo.revokeFamily(tx, token.family_id, now);
          await audit.record(tx, meta, {
            action: 'auth.refresh_reuse',
            entity: 'session',
            entityId: token.family_id,
            actor: { id: token.user_id, role: token.role },
            details: { revokedTokens: revoked },
          });
          return { kind: 'reused' as const };
        }
        await repo.markRotated(tx, token.id, now);
        return {
          kind: 'ok' as const,
          session: await continueSession(tx, token.user_id, token.role, token.family_id, token.mfa),
        };
      });
      if (outcome.kind === 'invalid') {
        count('refresh_invalid');
        throw unauthorized('The refresh token is invalid or expired', 'INVALID_REFRESH_TOKEN');
      }
      if (outcome.kind === 'reused') {
        count('refresh_reuse');
        deps.logger.warn(
          { requestId: meta.requestId },
          'refresh token reuse detected; session family revoked',
        );
        throw unauthorized(
          'The refresh token was already used; the session has been revoked',
          'REFRESH_TOKEN_REUSED',
        );
      }
      count('refresh');
      return outcome.session;
    },

    async logout(auth: AuthContext, meta: RequestMeta): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await repo.revokeFamily(tx, auth.sessionId, clock.now());
        await audit.record(tx, meta, { action: 'auth.logout', entity: 'session', entityId: auth.sessionId });
      });
      count('logout');
    },

    async me(auth: AuthContext) {
      const user = await loadUser(auth.userId);
      return {
        ...publicUser(user),
        phone: user.phone,
        mfaEnabled: user.mfa_enabled,
        createdAt: user.created_at.toISOString(),
      };
    },

    async mfaSetup(auth: AuthContext, meta: RequestMeta): Promise<{ secret: string; otpauthUrl: string }> {
      const user = await loadUser(auth.userId);
      if (user.mfa_enabled) throw conflict('MFA_ALREADY_ENABLED', 'MFA is already enabled; disable it first');
      const secret = newTotpSecret();
      await db.transaction().execute(async (tx) => {
        await repo.setPendingMfaSecret(
          tx,
          user.id,
          cipher.encrypt(secret, secretContext(user.id)),
          clock.now(),
        );
        await audit.record(tx, meta, { action: 'auth.mfa_setup', entity: 'user', entityId: user.id });
      });
      return { secret, otpauthUrl: totpUri(secret, user.email) };
    },

    async mfaEnable(
      auth: AuthContext,
      code: string,
      meta: RequestMeta,
    ): Promise<{ recoveryCodes: string[] } & Session> {
      const user = await loadUser(auth.userId);
      if (user.mfa_enabled) throw conflict('MFA_ALREADY_ENABLED', 'MFA is already enabled');
      if (!user.mfa_pending_secret) throw conflict('MFA_SETUP_REQUIRED', 'Call /auth/mfa/setup first');
      const envelope = user.mfa_pending_secret;
      const secret = cipher.decrypt(envelope, secretContext(user.id));
      const step = matchTotp(secret, code.trim(), clock.now(), null);
      if (step === null)
        throw new AppError(400, 'INVALID_MFA_CODE', 'The code does not match; check the device clock');
      const recoveryCodes = newRecoveryCodes();
      const session = await db.transaction().execute(async (tx) => {
        await repo.enableMfa(tx, user.id, envelope, step, clock.now());
        await repo.replaceRecoveryCodes(tx, user.id, recoveryCodes.map(hashRecoveryCode));
        // Every session without the second factor ends; the one that enrolled continues with it.
        await repo.revokeAllSessions(tx, user.id, clock.now());
        await audit.record(tx, meta, { action: 'auth.mfa_enabled', entity: 'user', entityId: user.id });
        return startSession(tx, user, true);
      });
      count('mfa_enabled');
      return { recoveryCodes, ...session };
    },

    async mfaDisable(auth: AuthContext, code: string, meta: RequestMeta): Promise<void> {
      const user = await loadUser(auth.userId);
      if (!user.mfa_enabled) throw conflict('MFA_NOT_ENABLED', 'MFA is not enabled');
      if (settings.mfaRequiredRoles.includes(user.role)) {
        throw forbidden(`MFA is required for role ${user.role}`, 'MFA_REQUIRED');
      }
      const ok = await db.transaction().execute(async (tx) => {
        if (!(await checkSecondFactor(tx, user, code))) return false;
        await repo.disableMfa(tx, user.id, clock.now());
        await audit.record(tx, meta, { action: 'auth.mfa_disabled', entity: 'user', entityId: user.id });
        return true;
      });
      if (!ok) throw invalidMfaCode();
      count('mfa_disabled');
    },

    /** Operator path (CLI and BOOTSTRAP_ADMIN_*): creates the admin if the email is free. */
    async ensureAdmin(input: {
      email: string;
      password: string;
      name: string;
    }): Promise<{ created: boolean; id: string }> {
      const existing = await repo.findUserByEmail(db, input.email.trim());
      if (existing) return { created: false, id: existing.id };
      const insert = await createUser({ ...input, role: 'admin' });
      try {
        const user = await db.transaction().execute(async (tx) => {
          const created = await insert(tx);
          await audit.record(tx, SYSTEM, {
            action: 'auth.admin_created',
            entity: 'user',
            entityId: created.id,
          });
          return created;
        });
        return { created: true, id: user.id };
      } catch (error) {
        // Another process created it in the meantime.
        const raced =
          error instanceof AppError && error.code === 'EMAIL_TAKEN'
            ? await repo.findUserByEmail(db, input.email.trim())
            : undefined;
        if (raced) return { created: false, id: raced.id };
        throw error;
      }
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
