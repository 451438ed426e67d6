import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { expectCleared, expectCookieSession, setCookieOf } from './helpers/cookies.ts';
import { uniqueName } from './helpers/services.ts';

// Cookie mode for browsers (src/modules/auth/cookie-session.ts): with `X-Auth-Mode: cookie` every
// session answer sets the refresh token as an HttpOnly, SameSite=Strict cookie and leaves it out of
// the body; refresh and logout read the cookie only with that header (the CSRF guard). Without the
// header, JSON mode is as it was.
let t: TestApp;
let admin: Account;
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000', LOGIN_MAX_FAILURES_PER_IP: '1000' } });
  admin = await signUp(t, 'admin');
});
afterAll(() => t.close());

const COOKIE_MODE = { 'x-auth-mode': 'cookie' };

const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.inject({
    method: 'POST',
    url: `/api/v1${url}`,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
const me = (token: string) => t.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
/** The Cookie header a browser sends back with this refresh cookie. */
const cookieHeader = (value: string) => ({ cookie: `theme=dark; amrutam_refresh=${value}` });
/** Cookie mode's headers with this cookie (and more). */
const withCookie = (value: string, more: Record<string, string> = {}) => ({
  ...COOKIE_MODE,
  ...cookieHeader(value),
  ...more,
});
const refreshWithCookie = (value: string) => post('/auth/refresh', undefined, withCookie(value));
const logout = (headers: Record<string, string>, payload?: string) => post('/auth/logout', payload, headers);
function expectProblem(res: Awaited<ReturnType<typeof post>>, status: number, code: string): void {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json().code).toBe(code);
}

const registerIn = (app: TestApp, headers: Record<string, string>) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    headers,
    payload: { email: `${uniqueName('c')}@example.test`, password: 'long enough pw', name: 'Cookie' },
  });
const login = (who: Account, headers: Record<string, string>) =>
  post('/auth/login', { email: who.email, password: who.password }, headers);
async function cookieLogin(who: Account, mode = 'cookie'): Promise<{ cookie: string; accessToken: string }> {
  const res = await login(who, { 'x-auth-mode': mode });
  return { cookie: expectCookieSession(res), accessToken: res.json().accessToken };
}

describe('session answers in cookie mode', () => {
  it('login: the cookie has every attribute, the body no refresh token; the header in any letter case', async () => {
    const a = await signUp(t);
    for (const mode of ['cookie', 'COOKIE', ' Cookie ']) {
      const { cookie, accessToken } = await cookieLogin(a, mode);
      expect((await me(accessToken)).statusCode).toBe(200);
      expect((await refreshWithCookie(cookie)).statusCode).toBe(200);
    }
  });

  it('register answers 201 with the cookie', async () => {
    const res = await registerIn(t, COOKIE_MODE);
    expect(res.statusCode).toBe(201);
    expectCookieSession(res);
    expect(res.json().user).toMatchObject({ role: 'patient', name: 'Cookie' });
  });

  it('MFA: enable answers the recovery codes and a cookie; the login challenge sets none; verify sets one', async () => {
    const a = await signUp(t);
    const { secret } = (await post('/auth/mfa/setup', undefined, bearer(a.accessToken))).json();
    const code = () => totpCodeAt(secret, t.clock.now());
    const enable = await post(
      '/auth/mfa/enable',
      { code: code() },
      { ...bearer(a.accessToken), ...COOKIE_MODE },
    );
    expect((await refreshWithCookie(expectCookieSession(enable))).statusCode).toBe(200);
    expect(enable.json().recoveryCodes).toHaveLength(10);

    const challenge = await login(a, COOKIE_MODE);
    expect(challenge.json()).toEqual({ mfaRequired: true, mfaToken: expect.any(String) });
    expect(challenge.headers['set-cookie']).toBeUndefined();
    t.clock.advance(30_000);
    const verify = await post(
      '/auth/mfa/verify',
      { mfaToken: challenge.json().mfaToken, code: code() },
      COOKIE_MODE,
    );
    expect((await refreshWithCookie(expectCookieSession(verify))).statusCode).toBe(200);
  });

  it('JSON mode is unchanged: the token in the body, no Set-Cookie', async () => {
    const a = await signUp(t);
    for (const headers of [{}, { 'x-auth-mode': 'json' }] as Record<string, string>[]) {
      const signedIn = await login(a, headers);
      expect(signedIn.json()).toHaveProperty('refreshToken');
      expect(signedIn.headers['set-cookie']).toBeUndefined();
      const refresh = await post('/auth/refresh', { refreshToken: signedIn.json().refreshToken }, headers);
      expect(refresh.statusCode).toBe(200);
      expect(refresh.json()).toHaveProperty('refreshToken');
      expect(refresh.headers['set-cookie']).toBeUndefined();
    }
  });
});

describe('refresh with the cookie', () => {
  it('rotates: a new cookie, the old one spent; presenting it again ends the session and clears it', async () => {
    const a = await signUp(t);
    const first = await cookieLogin(a);
    const rotated = await refreshWithCookie(first.cookie);
    const second = expectCookieSession(rotated);
    expect(second).not.toBe(first.cookie);
    expect((await me(rotated.json().accessToken)).statusCode).toBe(200);

    t.clock.advance(11_000); // past the race grace
    const reuse = await refreshWithCookie(first.cookie);
    expectProblem(reuse, 401, 'REFRESH_TOKEN_REUSED');
    expectCleared(reuse);
    const after = await refreshWithCookie(second);
    expectProblem(after, 401, 'INVALID_REFRESH_TOKEN');
    expectCleared(after);
  });

  it('needs the header: a cookie alone is 403 CSRF_HEADER_REQUIRED, nothing rotates, the cookie stays', async () => {
    const a = await signUp(t);
    const { cookie } = await cookieLogin(a);
    const refused = await post('/auth/refresh', undefined, cookieHeader(cookie));
    expectProblem(refused, 403, 'CSRF_HEADER_REQUIRED');
    expect(refused.headers['set-cookie']).toBeUndefined();
    expectCookieSession(await refreshWithCookie(cookie)); // unspent: no reuse detected
  });

  it('the header without a cookie → 401 INVALID_REFRESH_TOKEN; unknown and garbage cookies too, never 500', async () => {
    const missing = await post('/auth/refresh', undefined, COOKIE_MODE);
    expectProblem(missing, 401, 'INVALID_REFRESH_TOKEN');
    expectCleared(missing);
    for (const value of ['nope', '%E0%A4%A', '"quoted"', 'x'.repeat(4000), '']) {
      expectProblem(await refreshWithCookie(value), 401, 'INVALID_REFRESH_TOKEN');
    }
  });

  it('takes no body, {}, or an empty body declared as JSON', async () => {
    const a = await signUp(t);
    let { cookie } = await cookieLogin(a);
    for (const request of [
      { payload: undefined, headers: {} },
      { payload: {}, headers: {} },
      { payload: '', headers: { 'content-type': 'application/json' } },
    ] as Array<{ payload: unknown; headers: Record<string, string> }>) {
      const res = await post('/auth/refresh', request.payload, withCookie(cookie, request.headers));
      cookie = expectCookieSession(res);
    }
  });

  it('a token in the body wins over the cookie; with the header the answer is in cookie mode', async () => {
    const a = await signUp(t);
    const res = await post('/auth/refresh', { refreshToken: a.refreshToken }, withCookie('stale'));
    expect(res.statusCode).toBe(200);
    expectCookieSession(res);
  });

  it('a suspended account: 401 ACCOUNT_SUSPENDED, the cookie cleared', async () => {
    const a = await signUp(t);
    const { cookie } = await cookieLogin(a);
    await t.services.auth.suspend(a.id, 'Abusive messages', {
      actor: { id: admin.id, role: 'admin' },
      requestId: 'cookie-test',
      ip: '127.0.0.1',
    });
    const res = await refreshWithCookie(cookie);
    expectProblem(res, 401, 'ACCOUNT_SUSPENDED');
    expectCleared(res);
  });

  it('bad input is 400 problem+json, never 500; it spends no cookie', async () => {
    const { cookie } = await cookieLogin(await signUp(t));
    const json = { 'content-type': 'application/json' };
    for (const [payload, headers, code] of [
      [{ refreshToken: 5 }, {}, 'VALIDATION_FAILED'],
      [{ refreshToken: '' }, {}, 'VALIDATION_FAILED'],
      [{ extra: true }, {}, 'VALIDATION_FAILED'],
      ['{"refreshToken":', json, 'INVALID_JSON'],
      ['null', json, 'VALIDATION_FAILED'],
    ] as const) {
      expectProblem(await post('/auth/refresh', payload, withCookie(cookie, headers)), 400, code);
    }
    // JSON mode, neither a token nor a cookie: the token is required, as it always was.
    for (const payload of [{}, undefined]) {
      const res = await post('/auth/refresh', payload);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.json().errors).toEqual([
        { path: 'body.refreshToken', message: expect.stringContaining('is required') },
      ]);
    }
    expectCookieSession(await refreshWithCookie(cookie));
  });
});

describe('logout with the cookie', () => {
  it('without an access token: ends the session (refresh and its access token refused), clears the cookie, audited', async () => {
    const a = await signUp(t);
    const { cookie, accessToken } = await cookieLogin(a);
    const res = await logout(withCookie(cookie));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expectCleared(res);
    expect((await refreshWithCookie(cookie)).statusCode).toBe(401);
    expectProblem(await me(accessToken), 401, 'SESSION_REVOKED');
    const audit = await t.platform.db
      .selectFrom('audit_logs')
      .select(['action', 'actor_id'])
      .where('action', '=', 'auth.logout')
      .where('actor_id', '=', a.id)
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('with an expired access token and with a valid one, or an empty JSON body: 204', async () => {
    const a = await signUp(t);
    const expired = await cookieLogin(a);
    t.clock.advance(16 * 60_000);
    const json = { 'content-type': 'application/json' };
    const withExpired = await logout(
      withCookie(expired.cookie, { ...bearer(expired.accessToken), ...json }),
      '',
    );
    expect(withExpired.statusCode).toBe(204);
    expect((await refreshWithCookie(expired.cookie)).statusCode).toBe(401);

    const valid = await cookieLogin(a);
    expect((await logout(withCookie(valid.cookie, bearer(valid.accessToken)))).statusCode).toBe(204);
    expect((await me(valid.accessToken)).statusCode).toBe(401);
  });

  it('an access token of another session than the cookie’s: both end', async () => {
    const a = await signUp(t);
    const older = await cookieLogin(a);
    const newer = await cookieLogin(a);
    expect((await logout(withCookie(newer.cookie, bearer(older.accessToken)))).statusCode).toBe(204);
    expect((await me(older.accessToken)).statusCode).toBe(401);
    expect((await me(newer.accessToken)).statusCode).toBe(401);
  });

  it('an unknown, or a rotated cookie: 204 and cleared (a rotated one ends its session too)', async () => {
    const unknown = await logout(withCookie('unknown'));
    expect(unknown.statusCode).toBe(204);
    expectCleared(unknown);

    const a = await signUp(t);
    const { cookie } = await cookieLogin(a);
    const current = expectCookieSession(await refreshWithCookie(cookie));
    const rotated = await logout(withCookie(cookie));
    expect(rotated.statusCode).toBe(204);
    expectCleared(rotated);
    expect((await refreshWithCookie(current)).statusCode).toBe(401);
    expect((await logout(withCookie(current))).statusCode).toBe(204);
  });

  it('a cookie without the header and without an access token → 403 CSRF_HEADER_REQUIRED; the session lives on', async () => {
    const a = await signUp(t);
    const { cookie, accessToken } = await cookieLogin(a);
    const res = await logout(cookieHeader(cookie));
    expectProblem(res, 403, 'CSRF_HEADER_REQUIRED');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await me(accessToken)).statusCode).toBe(200);
    // With an access token but no header it is the bearer logout of JSON mode.
    expect((await logout({ ...cookieHeader(cookie), ...bearer(accessToken) })).statusCode).toBe(204);
    expect((await refreshWithCookie(cookie)).statusCode).toBe(401);
  });

  it('neither cookie nor access token → 401, in either mode', async () => {
    expectProblem(await logout(COOKIE_MODE), 401, 'UNAUTHORIZED');
    expectProblem(await logout({}), 401, 'UNAUTHORIZED');
  });
});

describe('Secure', () => {
  it('is left out in development only (plain http on a LAN address)', async () => {
    const development = await startTestApp({ env: { NODE_ENV: 'development' } });
    try {
      const res = await registerIn(development, COOKIE_MODE);
      expect(res.statusCode).toBe(201);
      const attributes = [...setCookieOf(res).keys()].sort();
      expect(attributes).toEqual(['httponly', 'max-age', 'path', 'samesite', 'value']);
    } finally {
      await development.close();
    }
  });
});
