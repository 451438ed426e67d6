import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, metaOf, requireAuth, unauthorized } from '../../http/index.ts';
import {
  clearRefreshCookie,
  csrfHeaderRequired,
  inRequestedMode,
  isCookieMode,
  refreshCookieOf,
} from './cookie-session.ts';
import { authLimit } from './parts.ts';
import * as s from './schemas.ts';
import type { AuthService } from './service.ts';

/**
 * POST /auth/refresh and POST /auth/logout, in JSON mode and in cookie mode (cookie-session.ts).
 *
 * Rules:
 * - A refresh token in the body wins; without one, the cookie's is used, and only with the
 *   `X-Auth-Mode: cookie` header (403 CSRF_HEADER_REQUIRED otherwise: nothing rotates).
 * - In cookie mode a refresh that fails (401) clears the cookie: it is of no use any more.
 * - Logout in cookie mode ends the cookie's session whether or not a valid access token comes with
 *   it (one may have expired in the browser), and always clears the cookie: 204 even for an unknown
 *   or rotated cookie. Without the header it is today's bearer logout.
 * - These routes need no body in cookie mode: none at all, or an empty one whatever its Content-Type,
 *   is read as `{}`.
 */
export const sessionRoutes: FastifyPluginAsyncZod<{ auth: AuthService; authPerMinute: number }> = async (
  app,
  { auth, authPerMinute },
) => {
  const tags = ['auth'];
  const cookieSettings = auth.refreshCookieSettings;
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, String(body), done);
  });
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined) request.body = {};
  });

  /** The token to rotate: the body's, else the cookie's (see the rules above). */
  function refreshTokenOf(request: FastifyRequest, fromBody: string | undefined, cookieMode: boolean) {
    if (fromBody !== undefined) return fromBody;
    const fromCookie = refreshCookieOf(request);
    if (fromCookie !== undefined && !cookieMode) throw csrfHeaderRequired();
    if (fromCookie !== undefined) return fromCookie;
    if (cookieMode) throw unauthorized('There is no refresh cookie: sign in again', 'INVALID_REFRESH_TOKEN');
    throw new AppError(400, 'VALIDATION_FAILED', 'The body is invalid', {
      errors: [
        {
          path: 'body.refreshToken',
          message: 'is required (or, in cookie mode, the `X-Auth-Mode: cookie` header and the cookie)',
        },
      ],
    });
  }

  app.post(
    '/auth/refresh',
    {
      config: authLimit('/auth/refresh', authPerMinute),
      schema: {
        tags,
        summary: 'Rotate a refresh token',
        description:
          'The old refresh token stops working. Presenting a rotated one again ends the whole session (REFRESH_TOKEN_REUSED), except within REFRESH_REUSE_GRACE_SECONDS (10) of its rotation while its successor is unused (two tabs refreshing at once): then the answer carries the same successor refresh token. Cookie mode (`X-Auth-Mode: cookie`, for browsers): send no body (or `{}`); the token is read from the `amrutam_refresh` cookie, the new one is set as that cookie and left out of the answer; a refresh that fails clears the cookie. The cookie is read only with that header (403 CSRF_HEADER_REQUIRED otherwise).',
        'x-problems': {
          401: ['INVALID_REFRESH_TOKEN', 'REFRESH_TOKEN_REUSED', 'ACCOUNT_SUSPENDED'],
          403: ['CSRF_HEADER_REQUIRED'],
        },
        headers: s.authModeHeaders,
        body: s.refreshBody,
        response: { 200: s.sessionSchema },
      },
    },
    async (request, reply) => {
      const cookieMode = isCookieMode(request);
      try {
        const token = refreshTokenOf(request, request.body.refreshToken, cookieMode);
        return inRequestedMode(request, reply, cookieSettings, await auth.refresh(token, metaOf(request)));
      } catch (error) {
        if (cookieMode && error instanceof AppError && error.status === 401)
          clearRefreshCookie(reply, cookieSettings);
        throw error;
      }
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags,
        summary: 'End this session',
        description:
          'Its refresh token stops working, and its access token too, on every server within a second. Cookie mode (`X-Auth-Mode: cookie`): the session of the `amrutam_refresh` cookie ends, with or without an access token, and the cookie is cleared (204 also for a cookie that no longer works). A cookie without that header and without an access token is 403 CSRF_HEADER_REQUIRED.',
        'x-problems': { 403: ['CSRF_HEADER_REQUIRED'] },
        security: [{ bearer: [] }, { refreshCookie: [] }],
        headers: s.authModeHeaders,
        response: { 204: z.undefined().describe('Done') },
      },
    },
    async (request, reply) => {
      const cookieMode = isCookieMode(request);
      const fromCookie = refreshCookieOf(request);
      if (cookieMode && fromCookie !== undefined) {
        const ended = await auth.logoutByRefreshToken(fromCookie, metaOf(request));
        // The access token may be of another session of this browser (an older sign-in): it ends too.
        if (request.auth && request.auth.sessionId !== ended)
          await auth.logout(request.auth, metaOf(request));
      } else {
        if (fromCookie !== undefined && !request.headers.authorization) throw csrfHeaderRequired();
        await auth.logout(requireAuth(request), metaOf(request));
      }
      if (cookieMode) clearRefreshCookie(reply, cookieSettings);
      return reply.status(204).send();
    },
  );
};
