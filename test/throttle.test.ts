import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';

const login = (t: TestApp, email: string, password: string, ip = '10.0.0.1') =>
  t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

function expectThrottled(res: Awaited<ReturnType<TestApp['inject']>>) {
  expect(res.statusCode).toBe(429);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.json().code).toBe('RATE_LIMITED');
}

describe.each(['postgres', 'embedded'] as const)('failed-login throttling (%s)', (mode) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      mode,
      env: {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
        LOGIN_MAX_FAILURES_PER_IP: '6',
        LOGIN_FAILURE_WINDOW_SECONDS: '600',
      },
    });
  });
  afterAll(() => t.close());

  it('slows one account + address down after 3 failures, even for the right password, with Retry-After', async () => {
    const a = await signUp(t);
    for (let i = 0; i < 3; i++)
      expect((await login(t, a.email, 'wrong password', '10.1.0.1')).statusCode).toBe(401);
    expectThrottled(await login(t, a.email, a.password, '10.1.0.1'));
    // The owner elsewhere is not locked out, and other accounts are unaffected.
    expect((await login(t, a.email, a.password, '10.1.0.9')).statusCode).toBe(200);
    const b = await signUp(t);
    expect((await login(t, b.email, b.password, '10.1.0.1')).statusCode).toBe(200);
  });

  it('spelling the email differently (case, spaces) does not get a fresh counter', async () => {
    const a = await signUp(t);
    for (const variant of [a.email, ` ${a.email}`, `${a.email.toUpperCase()} `]) {
      expect((await login(t, variant, 'wrong password', '10.6.0.1')).statusCode).toBe(401);
    }
    expectThrottled(await login(t, `\t${a.email}`, a.password, '10.6.0.1'));
  });

  it('a parallel burst of guesses cannot slip past the limit', async () => {
    const a = await signUp(t);
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(t, a.email, `guess number ${i}`, '10.7.0.1')),
    );
    // The limit, and at most the one attempt a back-off lets through.
    expect(burst.filter((r) => r.statusCode === 401).length).toBeLessThanOrEqual(4);
    expect(burst.filter((r) => r.statusCode === 429).length).toBeGreaterThanOrEqual(8);
  });

  it('locks an IP after 6 failures across accounts; other IPs still log in', async () => {
    for (let i = 0; i < 6; i++) await login(t, `ghost${i}@example.test`, 'wrong password', '10.2.0.1');
    const a = await signUp(t);
    expectThrottled(await login(t, a.email, a.password, '10.2.0.1'));
    expect((await login(t, a.email, a.password, '10.2.0.2')).statusCode).toBe(200);
  });

  it('a success resets the count of its account and address', async () => {
    const a = await signUp(t);
    for (let i = 0; i < 2; i++) await login(t, a.email, 'wrong password', '10.3.0.1');
    expect((await login(t, a.email, a.password, '10.3.0.1')).statusCode).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await login(t, a.email, 'wrong password', '10.3.0.1')).statusCode).toBe(401);
  });

  if (mode === 'embedded') {
    it('the wait lifts after Retry-After, and doubles with each further attempt (moving the clock)', async () => {
      const a = await signUp(t);
      for (let i = 0; i < 3; i++) await login(t, a.email, 'wrong password', '10.4.0.1');
      const first = await login(t, a.email, a.password, '10.4.0.1');
      expectThrottled(first);
      expect(Number(first.headers['retry-after'])).toBe(30);
      t.clock.advance(30_000);
      // One attempt goes through; the next waits longer.
      expect((await login(t, a.email, 'wrong password', '10.4.0.1')).statusCode).toBe(401);
      const second = await login(t, a.email, a.password, '10.4.0.1');
      expectThrottled(second);
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(30);
      t.clock.advance(Number(second.headers['retry-after']) * 1000);
      expect((await login(t, a.email, a.password, '10.4.0.1')).statusCode).toBe(200);
    });
  }
});

describe('request rate limits (Redis store)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(() => t.close());

  it('register/login/refresh are limited per IP', async () => {
    const register = (i: number) =>
      t.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        remoteAddress: '10.9.0.1',
        payload: { email: `rl${i}@example.test`, password: 'long enough pw', name: 'R' },
      });
    for (let i = 0; i < 3; i++) expect((await register(i)).statusCode).toBe(201);
    expectThrottled(await register(3));
  });

  it('the general limit is per user: one user is throttled, another is not', async () => {
    const a = await signUp(t);
    const b = await signUp(t);
    const get = (token: string) => t.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
    for (let i = 0; i < 5; i++) expect((await get(a.accessToken)).statusCode).toBe(200);
    expectThrottled(await get(a.accessToken));
    expect((await get(b.accessToken)).statusCode).toBe(200);
  });

  it('health endpoints are never throttled', async () => {
    for (let i = 0; i < 8; i++)
      expect((await t.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
