import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Role } from '../../config.ts';
import { type AuthContext, unauthorized } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Cipher } from '../../platform/crypto.ts';
import type { SigningKey } from '../../platform/keys.ts';
import { accountSuspended } from './parts.ts';
import type { AccessRefusal } from './revocations.ts';

const ACCESS_AUDIENCE = 'amrutam-api';
const MFA_AUDIENCE = 'amrutam-mfa';
const MFA_TOKEN_TTL_SECONDS = 300;
const ROLES: readonly Role[] = ['patient', 'doctor', 'admin'];
/** Access tokens whose signature was checked, kept until they expire: a client sends one token many times. */
const VERIFIED_TOKENS = 10_000;

export interface TokenSettings {
  issuer: string;
  accessTtlSeconds: number;
}

/**
 * Whether an access token of this session (refresh family) and user is refused, and why: the
 * session was ended, or the account suspended (revocations.ts). Throws (503) while that can't be
 * known yet.
 */
export type AccessRefused = (sessionId: string, userId: string) => AccessRefusal;

const sessionEnded = () => unauthorized('The session has ended; sign in again', 'SESSION_REVOKED');

/** Access tokens (JWT, asymmetric, `alg` pinned), MFA challenge tokens, and opaque refresh tokens. */
export function createTokenService(
  key: SigningKey,
  clock: Clock,
  settings: TokenSettings,
  accessRefused: AccessRefused,
) {
  const jwks = createLocalJWKSet({ keys: [key.publicJwk] });
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  const verified = new Map<string, { auth: AuthContext; expiresAt: number }>();

  async function sign(
    claims: Record<string, unknown>,
    subject: string,
    audience: string,
    ttl: number,
    typ: string,
  ) {
    const iat = nowSeconds();
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
      .setIssuer(settings.issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(key.privateKey);
  }

  async function verify(token: string, audience: string, typ: string) {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: [key.alg],
        issuer: settings.issuer,
        audience,
        typ,
        currentDate: clock.now(),
      });
      return payload;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired)
        throw unauthorized('The token has expired', 'TOKEN_EXPIRED');
      throw unauthorized('The token is invalid', 'INVALID_TOKEN');
    }
  }

  /** Signature, audience, type and claims checked; remembered until it expires. */
  async function verifySignedAccessToken(token: string): Promise<AuthContext> {
    const payload = await verify(token, ACCESS_AUDIENCE, 'at+jwt');
    const role = payload.role as Role;
    if (
      !payload.sub ||
      typeof payload.sid !== 'string' ||
      !ROLES.includes(role) ||
      !Array.isArray(payload.amr)
    ) {
      throw unauthorized('The token is invalid', 'INVALID_TOKEN');
    }
    const auth = { userId: payload.sub, role, sessionId: payload.sid, mfa: payload.amr.includes('otp') };
    if (verified.size >= VERIFIED_TOKENS) verified.delete(verified.keys().next().value!);
    verified.set(token, { auth, expiresAt: (payload.exp ?? 0) * 1000 });
    return auth;
  }

  return {
    accessTtlSeconds: settings.accessTtlSeconds,

    issueAccessToken(user: { id: string; role: Role }, sessionId: string, mfa: boolean): Promise<string> {
      return sign(
        { role: user.role, sid: sessionId, amr: mfa ? ['pwd', 'otp'] : ['pwd'] },
        user.id,
        ACCESS_AUDIENCE,
        settings.accessTtlSeconds,
        'at+jwt',
      );
    },

    async verifyAccessToken(token: string): Promise<AuthContext> {
      const known = verified.get(token);
      const auth =
        known && known.expiresAt > clock.now().getTime() ? known.auth : await verifySignedAccessToken(token);
      const refused = accessRefused(auth.sessionId, auth.userId);
      if (refused) throw refused === 'ACCOUNT_SUSPENDED' ? accountSuspended() : sessionEnded();
      return auth;
    },

    issueMfaToken(userId: string): Promise<string> {
      return sign({}, userId, MFA_AUDIENCE, MFA_TOKEN_TTL_SECONDS, 'mfa+jwt');
    },

    /** Whose challenge it is, its id (jti: single use is the caller's, sign-in.ts) and when it expires. */
    async verifyMfaToken(token: string): Promise<{ userId: string; jti: string; expiresAt: Date }> {
      const payload = await verify(token, MFA_AUDIENCE, 'mfa+jwt');
      if (!payload.sub || !payload.jti || !payload.exp)
        throw unauthorized('The token is invalid', 'INVALID_TOKEN');
      return { userId: payload.sub, jti: payload.jti, expiresAt: new Date(payload.exp * 1000) };
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;

/**
 * The refresh token that rotating `presented` gives, under each key of the cipher (the active
 * key's first): a keyed digest of it, so a second presentation inside the race grace can be given
 * the same successor without its plaintext being stored (sessions.ts). Nobody without the key can
 * work it out from the token.
 */
export function refreshSuccessors(cipher: Cipher, presented: string): Array<{ token: string; hash: string }> {
  return cipher.digests(presented, 'refresh-token successor').map((digest) => {
    const token = Buffer.from(digest, 'hex').toString('base64url');
    return { token, hash: hashRefreshToken(token) };
  });
}

/** 256 random bits; only its SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
