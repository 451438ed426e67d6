import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { redisProxy } from './helpers/redis-proxy.ts';
import { REDIS_URL } from './helpers/services.ts';

// Item 12 of issue 8: an ended session's access tokens stop working on the instance that ended it
// at once, and on every other instance within a second (two instances, one database and Redis).
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  a = await startTestApp({ env: { LOGIN_MAX_FAILURES_PER_IP: '1000' } });
  b = await startTestApp({ shareWith: a, env: { LOGIN_MAX_FAILURES_PER_IP: '1000' } });
});
afterAll(async () => {
  await b.close();
  await a.close();
});

const post = (t: TestApp, url: string, payload?: object, token?: string) =>
  t.inject({
    method: 'POST',
    url: `/api/v1${url}`,
    ...(payload ? { payload } : {}),
    headers: token ? bearer(token) : {},
  });
const me = (t: TestApp, token: string) =>
  t.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
const sessionOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;

/** Milliseconds until `token` is refused on `t` as a revoked session; fails the test past 1 s. */
async function refusedWithin1s(t: TestApp, token: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await me(t, token);
    const elapsed = Date.now() - started;
    if (res.statusCode === 401) {
      expect(res.json().code).toBe('SESSION_REVOKED');
      return elapsed;
    }
    expect(res.statusCode).toBe(200);
    expect(elapsed).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Both instances have verified (and cached) the token: revocation must beat their caches. */
async function inUseOnBoth(account: { accessToken: string }) {
  expect((await me(a, account.accessToken)).statusCode).toBe(200);
  expect((await me(b, account.accessToken)).statusCode).toBe(200);
}

describe('session revocation across instances', () => {
  it('logout on A: the access token is refused on A at once, on B within 1 s', async () => {
    const user = await signUp(a);
    await inUseOnBoth(user);
    expect((await post(a, '/auth/logout', undefined, user.accessToken)).statusCode).toBe(204);
    expect(await refusedWithin1s(a, user.accessToken)).toBeLessThan(50);
    expect(await refusedWithin1s(b, user.accessToken)).toBeLessThan(1000);
  });

  it('a revocation whose message is lost is still seen within 1 s (the version check)', async () => {
    const user = await signUp(a);
    await inUseOnBoth(user);
    // What a revoking write leaves, minus the message: the rows revoked, the version bumped.
    await sql`UPDATE refresh_tokens SET revoked_at = ${a.clock.now()} WHERE family_id = ${sessionOf(user.accessToken)}`.execute(
      a.platform.db,
    );
    await a.platform.kv.versions.bumpAndPublish('auth:revocations', 'nobody-listens-here', '{}');
    await refusedWithin1s(a, user.accessToken);
    await refusedWithin1s(b, user.accessToken);
  });

  it('a password change keeps the caller’s session and ends the others, on both instances', async () => {
    const user = await signUp(a);
    const other = (await post(b, '/auth/login', { email: user.email, password: user.password })).json();
    await inUseOnBoth(user);
    await inUseOnBoth(other);
    const res = await post(
      a,
      '/auth/password',
      { currentPassword: user.password, newPassword: 'a new password for both' },
      user.accessToken,
    );
    expect(res.statusCode).toBe(204);
    expect(await refusedWithin1s(a, other.accessToken)).toBeLessThan(50);
    await refusedWithin1s(b, other.accessToken);
    // B has caught up by now: the caller's session still works there and here.
    await inUseOnBoth(user);
  });

  it('re-use of a rotated refresh token ends the family’s access tokens everywhere', async () => {
    const user = await signUp(a);
    const rotated = (await post(a, '/auth/refresh', { refreshToken: user.refreshToken })).json();
    await inUseOnBoth(rotated);
    a.clock.advance(11_000); // past the race grace
    const reuse = await post(b, '/auth/refresh', { refreshToken: user.refreshToken });
    expect(reuse.json().code).toBe('REFRESH_TOKEN_REUSED');
    await refusedWithin1s(b, rotated.accessToken);
    await refusedWithin1s(a, rotated.accessToken);
  });

  it('enabling MFA ends the sessions without it everywhere; the enrolling one continues with it', async () => {
    const user = await signUp(a);
    const other = (await post(b, '/auth/login', { email: user.email, password: user.password })).json();
    await inUseOnBoth(other);
    const { secret } = (await post(a, '/auth/mfa/setup', undefined, user.accessToken)).json();
    const enabled = await post(
      a,
      '/auth/mfa/enable',
      { code: totpCodeAt(secret, a.clock.now()) },
      user.accessToken,
    );
    expect(enabled.statusCode).toBe(200);
    await refusedWithin1s(a, other.accessToken);
    await refusedWithin1s(b, other.accessToken);
    await refusedWithin1s(b, user.accessToken);
    await inUseOnBoth(enabled.json());
  });

  it('an instance that starts later knows the sessions ended before it started', async () => {
    const user = await signUp(a);
    await post(a, '/auth/logout', undefined, user.accessToken);
    const c = await startTestApp({ shareWith: a });
    try {
      const res = await me(c, user.accessToken);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('SESSION_REVOKED');
    } finally {
      await c.close();
    }
  });

  it('an instance that can’t reach Redis reads revocations from PostgreSQL, within 1 s', async () => {
    const proxy = await redisProxy(REDIS_URL);
    const c = await startTestApp({
      shareWith: a,
      env: { REDIS_URL: proxy.url, REDIS_COMMAND_TIMEOUT_MS: '200' },
    });
    try {
      const user = await signUp(a);
      expect((await me(c, user.accessToken)).statusCode).toBe(200);
      proxy.freeze();
      await post(a, '/auth/logout', undefined, user.accessToken);
      await refusedWithin1s(c, user.accessToken);
    } finally {
      proxy.thaw();
      await c.close();
      await proxy.close();
    }
  });

  it('a session revoked more than an access-token lifetime ago is forgotten (its tokens expired anyway)', async () => {
    const user = await signUp(a);
    const family = sessionOf(user.accessToken);
    await post(a, '/auth/logout', undefined, user.accessToken);
    expect(a.services.revocations.has(family)).toBe(true);
    a.clock.advance(15 * 60_000 + 1000);
    await a.platform.kv.versions.bumpAndPublish('auth:revocations', 'nobody-listens-here', '{}');
    const started = Date.now();
    while (a.services.revocations.has(family)) {
      expect(Date.now() - started).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await me(a, user.accessToken)).json().code).toBe('TOKEN_EXPIRED');
  });
});

describe('embedded mode (no Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ mode: 'embedded' });
  });
  afterAll(() => t.close());

  it('logout and password change end access tokens at once', async () => {
    const user: Account = await signUp(t);
    const other = (await post(t, '/auth/login', { email: user.email, password: user.password })).json();
    const third = (await post(t, '/auth/login', { email: user.email, password: user.password })).json();
    expect((await me(t, other.accessToken)).statusCode).toBe(200);
    expect((await post(t, '/auth/logout', undefined, other.accessToken)).statusCode).toBe(204);
    expect((await me(t, other.accessToken)).json().code).toBe('SESSION_REVOKED');
    const change = await post(
      t,
      '/auth/password',
      { currentPassword: user.password, newPassword: 'embedded new password' },
      user.accessToken,
    );
    expect(change.statusCode).toBe(204);
    expect((await me(t, third.accessToken)).json().code).toBe('SESSION_REVOKED');
    expect((await me(t, user.accessToken)).statusCode).toBe(200);
  });
});
