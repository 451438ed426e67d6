import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden } from '../../http/index.ts';

/**
 * Cookie mode, for browsers: the refresh token lives in an HttpOnly cookie no script can read.
 *
 * Rules:
 * - `X-Auth-Mode: cookie` (any letter case) selects it, request by request. Then every answer that
 *   carries a session sets the refresh token as the `amrutam_refresh` cookie (HttpOnly,
 *   SameSite=Strict, Path=/api/v1/auth, Max-Age = the refresh token's lifetime, Secure outside
 *   development) and its body has no `refreshToken`. Without the header no answer changes (JSON mode).
 * - The cookie is read only from a request with that header: a cross-site form or navigation can't
 *   set a custom header, so the header is the CSRF guard (SameSite=Strict is the second one).
 *   A cookie sent without it is refused (403 CSRF_HEADER_REQUIRED), never used and never cleared.
 * - Only this file reads the Cookie header and writes Set-Cookie.
 */

const REFRESH_COOKIE = 'amrutam_refresh';
/** Only the auth routes see the cookie: every other request goes without it. */
const REFRESH_COOKIE_PATH = '/api/v1/auth';

/** How the refresh cookie is set (from configuration, through the auth service). */
export interface RefreshCookieSettings {
  /** The refresh token's lifetime: the cookie ends with it. */
  maxAgeSeconds: number;
  secure: boolean;
}

/** A session answer with its refresh token moved into the cookie. */
type WithoutRefreshToken<T> = T extends unknown ? Omit<T, 'refreshToken'> : never;

export const csrfHeaderRequired = () =>
  forbidden('The refresh cookie is read only with the header `X-Auth-Mode: cookie`', 'CSRF_HEADER_REQUIRED');

export function isCookieMode(request: FastifyRequest): boolean {
  const mode = request.headers['x-auth-mode'];
  return typeof mode === 'string' && mode.trim().toLowerCase() === 'cookie';
}

/**
 * The first value of the cookie `name` in a Cookie header (`a=1; b=2`), percent-decoded when that
 * is well-formed (kept as sent otherwise); surrounding double quotes removed.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of header?.split(';') ?? []) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/** The refresh token in the request's cookie; an empty cookie counts as none. */
export function refreshCookieOf(request: FastifyRequest): string | undefined {
  return cookieValue(request.headers.cookie, REFRESH_COOKIE) || undefined;
}

function writeRefreshCookie(reply: FastifyReply, value: string, maxAgeSeconds: number, secure: boolean) {
  const attributes = [
    `${REFRESH_COOKIE}=${encodeURIComponent(value)}`,
    `Path=${REFRESH_COOKIE_PATH}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ];
  reply.header('set-cookie', attributes.join('; '));
}

/** The browser forgets the refresh token. */
export function clearRefreshCookie(reply: FastifyReply, settings: RefreshCookieSettings): void {
  writeRefreshCookie(reply, '', 0, settings.secure);
}

/**
 * A session answer (or a login's MFA challenge, which has no refresh token) in the request's mode:
 * as it is in JSON mode; in cookie mode, its refresh token set as the cookie and left out of it.
 */
export function inRequestedMode<T extends object>(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: RefreshCookieSettings,
  answer: T,
): T | WithoutRefreshToken<T> {
  if (!isCookieMode(request) || !('refreshToken' in answer) || typeof answer.refreshToken !== 'string')
    return answer;
  const { refreshToken, ...rest } = answer;
  writeRefreshCookie(reply, refreshToken, settings.maxAgeSeconds, settings.secure);
  return rest as WithoutRefreshToken<T>;
}
