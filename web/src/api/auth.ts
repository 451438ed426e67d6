/**
 * Signing in and out from the browser, always in cookie mode (see session.ts): the answers carry
 * the access token for memory and set the refresh cookie; no token is ever written to storage.
 */
import { ApiError, api, call } from './client';
import { COOKIE_MODE, type SessionUser, session } from './session';

const cookieMode = { headers: COOKIE_MODE };

interface SignedIn {
  accessToken: string;
  user: SessionUser;
}
function signedIn({ accessToken, user }: SignedIn): SessionUser {
  session.signedIn(accessToken, user);
  return user;
}

export type LoginResult = { user: SessionUser } | { mfaToken: string };

export async function login(email: string, password: string): Promise<LoginResult> {
  const answer = await call(api.POST('/api/v1/auth/login', { body: { email, password }, ...cookieMode }));
  if ('mfaRequired' in answer) return { mfaToken: answer.mfaToken };
  return { user: signedIn(answer) };
}

/** The second step: a code from the authenticator app, or one of the recovery codes. */
export async function verifyMfa(mfaToken: string, code: string): Promise<SessionUser> {
  return signedIn(
    await call(api.POST('/api/v1/auth/mfa/verify', { body: { mfaToken, code }, ...cookieMode })),
  );
}

export async function register(body: {
  email: string;
  password: string;
  name: string;
  role: 'patient' | 'doctor';
  /** The language of the mails the account will get. */
  locale: 'en' | 'hi';
}): Promise<SessionUser> {
  return signedIn(await call(api.POST('/api/v1/auth/register', { body, ...cookieMode })));
}

/** Confirms TOTP enrolment; the session continues (rotated) and the recovery codes are shown once. */
export async function enableMfa(code: string): Promise<string[]> {
  const answer = await call(api.POST('/api/v1/auth/mfa/enable', { body: { code }, ...cookieMode }));
  const user = session.get().user;
  if (user) session.signedIn(answer.accessToken, user);
  return answer.recoveryCodes;
}

export async function logout(): Promise<void> {
  try {
    await call(api.POST('/api/v1/auth/logout', cookieMode));
  } catch (error) {
    if (!(error instanceof ApiError) || error.retryable) throw error;
  } finally {
    session.signedOut();
  }
}
