import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../config.ts';
import { type AuthContext, metaOf, requireAuth, requireRole } from '../../http/index.ts';
import { inRequestedMode } from './cookie-session.ts';
import { authLimit } from './parts.ts';
import * as s from './schemas.ts';
import type { AuthService } from './service.ts';
import { sessionRoutes } from './session-routes.ts';

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
  const limited = (route: string) => authLimit(route, authPerMinute);
  const signedIn = requireRole('any', { mfaRequiredRoles, allowWithoutMfa: true });
  const tags = ['auth'];
  const noContent = z.undefined().describe('Done');
  /** GET /me and PATCH /me answer the same shape: a doctor's includes their profile. */
  const withDoctorProfile = async <T extends object>(who: AuthContext, account: T) =>
    who.role === 'doctor' ? { ...account, doctorProfile: await doctorProfileOf(who) } : account;
  const cookieModeNote =
    ' Cookie mode (`X-Auth-Mode: cookie`, for browsers): the refresh token is set as the HttpOnly `amrutam_refresh` cookie and left out of the answer.';

  app.post(
    '/auth/register',
    {
      config: limited('/auth/register'),
      schema: {
        tags,
        summary: 'Create a patient or doctor account',
        description: `Signs the new account in. Admins are made by the operator, not here.${cookieModeNote}`,
        'x-problems': { 400: ['WEAK_PASSWORD'], 409: ['EMAIL_TAKEN'] },
        headers: s.authModeHeaders,
        body: s.registerBody,
        response: { 201: s.registerResponse },
      },
    },
    async (request, reply) => {
      const registered = await auth.register(request.body, metaOf(request));
      return reply.status(201).send(inRequestedMode(request, reply, auth.refreshCookieSettings, registered));
    },
  );

  app.post(
    '/auth/login',
    {
      config: limited('/auth/login'),
      schema: {
        tags,
        summary: 'Password login; may answer with an MFA challenge',
        description: `Answers a session, or \`{mfaRequired: true, mfaToken}\` when the account uses MFA (then POST /auth/mfa/verify). Repeated failures are slowed down (429 with Retry-After): for one account from one address after LOGIN_MAX_FAILURES_PER_ACCOUNT (5), with a wait that doubles; for an address after LOGIN_MAX_FAILURES_PER_IP. A right password from a client without recent failures is never refused. A suspended account is refused (ACCOUNT_SUSPENDED) once its password is right.${cookieModeNote}`,
        'x-problems': { 401: ['INVALID_CREDENTIALS', 'ACCOUNT_SUSPENDED'] },
        headers: s.authModeHeaders,
        body: s.loginBody,
        response: { 200: s.loginResponse },
      },
    },
    async (request, reply) =>
      inRequestedMode(
        request,
        reply,
        auth.refreshCookieSettings,
        await auth.login(request.body, metaOf(request)),
      ),
  );

  app.post(
    '/auth/mfa/verify',
    {
      config: limited('/auth/mfa/verify'),
      schema: {
        tags,
        summary: 'Complete an MFA login',
        description: `Answers the session. An \`mfaToken\` completes one login; wrong codes (here, at enable and at disable) are limited per user (429 with Retry-After).${cookieModeNote}`,
        'x-problems': { 401: ['INVALID_MFA_CODE', 'INVALID_TOKEN', 'TOKEN_EXPIRED', 'ACCOUNT_SUSPENDED'] },
        headers: s.authModeHeaders,
        body: s.mfaVerifyBody,
        response: { 200: s.registerResponse },
      },
    },
    async (request, reply) =>
      inRequestedMode(
        request,
        reply,
        auth.refreshCookieSettings,
        await auth.verifyMfa(request.body, metaOf(request)),
      ),
  );

  // Refresh and logout, in both modes (here: the document lists them after sign-in).
  await app.register(sessionRoutes, { auth, authPerMinute });

  app.post(
    '/auth/password',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Change the password (needs the current one); ends every other session',
        'x-problems': { 400: ['WEAK_PASSWORD'], 401: ['INVALID_CREDENTIALS'] },
        security: [{ bearer: [] }],
        body: s.changePasswordBody,
        response: { 204: noContent },
      },
    },
    async (request, reply) => {
      await auth.changePassword(requireAuth(request), request.body, metaOf(request));
      return reply.status(204).send();
    },
  );

  app.post(
    '/auth/password/forgot',
    {
      config: limited('/auth/password/forgot'),
      schema: {
        tags,
        summary: 'Mail a password-reset token (the same answer whether or not the account exists)',
        description:
          'An account with this address gets a mail with a link and a token that work once, for PASSWORD_RESET_TTL_MINUTES (30). At most PASSWORD_RESET_MAILS_PER_HOUR (3) mails per account per hour; further requests get the same answer.',
        body: s.forgotPasswordBody,
        response: { 202: s.forgotPasswordResponse },
      },
    },
    async (request, reply) => {
      await auth.requestPasswordReset(request.body.email, metaOf(request));
      return reply.status(202).send({ status: 'sent' as const });
    },
  );

  app.post(
    '/auth/password/reset',
    {
      config: limited('/auth/password/reset'),
      schema: {
        tags,
        summary: 'Set a new password with a mailed token; ends every session of the account',
        'x-problems': { 400: ['INVALID_RESET_TOKEN', 'WEAK_PASSWORD'] },
        body: s.resetPasswordBody,
        response: { 204: noContent },
      },
    },
    async (request, reply) => {
      await auth.resetPassword(request.body, metaOf(request));
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
        'x-problems': { 409: ['MFA_ALREADY_ENABLED'] },
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
        description: `Every other session ends; this one continues with the second factor, as a new session in the answer.${cookieModeNote}`,
        'x-problems': { 400: ['INVALID_MFA_CODE'], 409: ['MFA_ALREADY_ENABLED', 'MFA_SETUP_REQUIRED'] },
        security: [{ bearer: [] }],
        headers: s.authModeHeaders,
        body: s.codeBody,
        response: { 200: s.mfaEnableResponse },
      },
    },
    async (request, reply) => {
      const enabled = await auth.mfaEnable(requireAuth(request), request.body.code, metaOf(request));
      return inRequestedMode(request, reply, auth.refreshCookieSettings, enabled);
    },
  );

  app.post(
    '/auth/mfa/disable',
    {
      preHandler: signedIn,
      schema: {
        tags,
        summary: 'Turn MFA off (needs a current code)',
        'x-problems': { 401: ['INVALID_MFA_CODE'], 409: ['MFA_NOT_ENABLED'] },
        security: [{ bearer: [] }],
        body: s.codeBody,
        response: { 204: noContent },
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
      return withDoctorProfile(who, await auth.me(who));
    },
  );

  app.patch(
    '/me',
    {
      preHandler: signedIn,
      schema: {
        tags: ['users'],
        summary: 'Change own name, phone or language',
        security: [{ bearer: [] }],
        body: s.patchMeBody,
        response: { 200: s.meResponse },
      },
    },
    async (request) => {
      const who = requireAuth(request);
      return withDoctorProfile(who, await auth.updateProfile(who, request.body, metaOf(request)));
    },
  );

  app.put(
    '/me/profile',
    {
      preHandler: signedIn,
      schema: {
        tags: ['users'],
        summary: 'Set own date of birth and sex (a prescription states the patient’s age and sex)',
        description:
          'A doctor can’t issue a prescription (409 PATIENT_PROFILE_INCOMPLETE) until the patient has set both. Audited with the names of the fields that changed, never their values.',
        security: [{ bearer: [] }],
        body: s.personalDetailsBody,
        response: { 200: s.meResponse },
      },
    },
    async (request) => {
      const who = requireAuth(request);
      return withDoctorProfile(who, await auth.setPersonalDetails(who, request.body, metaOf(request)));
    },
  );
};
