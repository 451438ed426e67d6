import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Role } from '../../config.ts';
import { type AuthContext, metaOf, requireAuth, requireRole } from '../../http/index.ts';
import * as s from './schemas.ts';
import type { AuthService } from './service.ts';

export interface AuthRoutesOptions {
  auth: AuthService;
  /** A doctor's own profile for GET /me (null until created). */
  doctorProfileOf: (auth: AuthContext) => Promise<Record<string, unknown> | null>;
  mfaRequiredRoles: readonly Role[];
  authPerMinute: number;
}

export const authRoutes: FastifyPluginAsyncZod<AuthRoutesOptions> = async (
  app,
  { auth, doctorProfileOf, mfaRequiredRoles, authPerMinute },
) => {
  // Register, login, MFA and refresh: a tighter limit per IP and per route than the general one.
  const authLimit = (route: string) => ({
    rateLimit: { max: authPerMinute, scope: `auth:${route}`, by: 'ip' as const },
  });
  const signedIn = requireRole('any', { mfaRequiredRoles, allowWithoutMfa: true });
  const tags = ['auth'];

  app.post(
    '/auth/register',
    {
      config: authLimit('/auth/register'),
      schema: {
        tags,
        summary: 'Create a patient or doctor account',
        body: s.registerBody,
        response: { 201: s.registerResponse },
      },
    },
    async (request, reply) => reply.status(201).send(await auth.register(request.body, metaOf(request))),
  );

  app.post(
    '/auth/login',
    {
      config: authLimit('/auth/login'),
      schema: {
        tags,
        summary: 'Password login; may answer with an MFA challenge',
        body: s.loginBody,
        response: { 200: s.loginResponse },
      },
    },
    async (request) => auth.login(request.body, metaOf(request)),
  );

  app.post(
    '/auth/mfa/verify',
    {
      config: authLimit('/auth/mfa/verify'),
      schema: {
        tags,
        summary: 'Complete an MFA login',
        body: s.mfaVerifyBody,
        response: { 200: s.registerResponse },
      },
    },
    async (request) => auth.verifyMfa(request.body, metaOf(request)),
  );

  app.post(
    '/auth/refresh',
    {
      config: authLimit('/auth/refresh'),
      schema: {
        tags,
        summary: 'Rotate a refresh token',
        body: s.refreshBody,
        response: { 200: s.sessionSchema },
      },
    },
    async (request) => auth.refresh(request.body.refreshToken, metaOf(request)),
  );

  app.post(
    '/auth/logout',
    {
      preHandler: signedIn,
      schema: { tags, summary: 'Revoke this session (its refresh-token family)', security: [{ bearer: [] }] },
    },
    async (request, reply) => {
      await auth.logout(requireAuth(request), metaOf(request));
      return reply.status(204).send();
    },
  );

  app.post(
    '/auth/mfa/setup',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Start TOTP enrolment',
        security: [{ bearer: [] }],
        response: { 200: s.mfaSetupResponse },
      },
    },
    async (request) => auth.mfaSetup(requireAuth(request), metaOf(request)),
  );

  app.post(
    '/auth/mfa/enable',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Confirm enrolment with a code; returns recovery codes',
        security: [{ bearer: [] }],
        body: s.codeBody,
        response: { 200: s.mfaEnableResponse },
      },
    },
    async (request) => auth.mfaEnable(requireAuth(request), request.body.code, metaOf(request)),
  );

  app.post(
    '/auth/mfa/disable',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Turn MFA off (needs a current code)',
        security: [{ bearer: [] }],
        body: s.codeBody,
      },
    },
    async (request, reply) => {
      await auth.mfaDisable(requireAuth(request), request.body.code, metaOf(request));
      return reply.status(204).send();
    },
  );

  app.get(
    '/me',
    {
      preHandler: signedIn,
      schema: {
        tags: ['users'],
        summary: 'Own account',
        security: [{ bearer: [] }],
        response: { 200: s.meResponse },
      },
    },
    async (request) => {
      const who = requireAuth(request);
      const account = await auth.me(who);
      return who.role === 'doctor' ? { ...account, doctorProfile: await doctorProfileOf(who) } : account;
    },
  );
};
