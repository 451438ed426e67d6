import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Role } from '../config.ts';
import { AppError, forbidden, unauthorized } from './errors.ts';

export interface AuthContext {
  userId: string;
  role: Role;
  /** The refresh-token family this access token belongs to (what logout revokes). */
  sessionId: string;
  /** Whether this session passed a second factor. */
  mfa: boolean;
}

export type AccessTokenVerifier = (token: string) => Promise<AuthContext>;

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
    authFailure: AppError | null;
  }
}

/**
 * Reads a Bearer token on every request (before rate limiting, so limits key on the user).
 * A bad token is remembered, not thrown: public routes ignore it, protected routes answer 401.
 */
export function registerAuthentication(app: FastifyInstance, verify: AccessTokenVerifier): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('authFailure', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (!header) return;
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header);
    if (!match) {
      request.authFailure = unauthorized('Authorization must be "Bearer <token>"', 'INVALID_TOKEN');
      return;
    }
    try {
      request.auth = await verify(match[1]!);
    } catch (error) {
      request.authFailure =
        error instanceof AppError ? error : unauthorized('Invalid access token', 'INVALID_TOKEN');
    }
  });
}

export function requireAuth(request: FastifyRequest): AuthContext {
  if (request.auth) return request.auth;
  throw request.authFailure ?? unauthorized();
}

export interface RoleGuardOptions {
  /** Roles that must have passed MFA (from configuration). */
  mfaRequiredRoles: readonly Role[];
  /** MFA enrolment itself must be reachable before MFA is set up. */
  allowWithoutMfa?: boolean;
}

/** preHandler: 401 without a valid token, 403 for another role or a missing second factor. */
export function requireRole(
  roles: readonly Role[] | 'any',
  options: RoleGuardOptions,
): preHandlerAsyncHookHandler {
  return async (request) => {
    const auth = requireAuth(request);
    if (roles !== 'any' && !roles.includes(auth.role)) throw forbidden(`Requires role ${roles.join(' or ')}`);
    if (!options.allowWithoutMfa && !auth.mfa && options.mfaRequiredRoles.includes(auth.role)) {
      throw forbidden(
        `Role ${auth.role} must enable and use MFA first (POST /api/v1/auth/mfa/setup)`,
        'MFA_REQUIRED',
      );
    }
  };
}
