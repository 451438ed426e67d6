import { parseOptions } from '@node-rs/argon2';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emailDigest } from '../src/modules/auth/parts.ts';
import { passwordWeakness } from '../src/modules/auth/password-policy.ts';
import { ARGON2_PARAMS } from '../src/modules/auth/passwords.ts';
import { sha256Hex } from '../src/platform/crypto.ts';
import { bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';

// Issue 13, auth hardening: forged access tokens, password rules, argon2id parameters, and what
// a failed sign-in tells (nothing) and records (a keyed digest).

/** Every argon2 verification and hash, passed through: the tests assert one runs, never how long it takes. */
const argon2 = vi.hoisted(() => ({ verified: [] as string[], hashes: 0 }));
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return {
    ...real,
    hash: (...args: Parameters<typeof real.hash>) => {
      argon2.hashes++;
      return real.hash(...args);
    },
    verify: (
      hashed: string,
      ...rest: Parameters<typeof real.verify> extends [unknown, ...infer R] ? R : never
    ) => {
      argon2.verified.push(hashed);
      return real.verify(hashed, ...rest);
    },
  };
});

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000', LOGIN_MAX_FAILURES_PER_IP: '1000' } });
});
afterAll(() => t.close());

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  t.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers });
const me = (token: string) => t.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe('access tokens that must not work', () => {
  it('alg none, HS256 keyed with the public key, expired, not yet valid, wrong iss/aud/typ, unknown kid → 401', async () => {
    const a = await signUp(t);
    expect((await me(a.accessToken)).statusCode).toBe(200);
    const { kid, privateKey, publicJwk } = t.platform.signingKey;
    const now = Math.floor(t.clock.now().getTime() / 1000);
    const good = claimsOf(a.accessToken);
    const signed = (
      change: { claims?: Record<string, unknown>; header?: Record<string, unknown> } = {},
    ): Promise<string> =>
      new SignJWT({ ...good, ...change.claims })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt', ...change.header })
        .sign(privateKey);
    // The forger's own copy of a valid token, to show the harness signs tokens the server accepts.
    expect((await me(await signed())).statusCode).toBe(200);
    const forged = {
      'alg none': new UnsecuredJWT(good).encode(),
      'HS256 with the public key': await new SignJWT(good)
        .setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' })
        .sign(new TextEncoder().encode(JSON.stringify(publicJwk))),
      expired: await signed({ claims: { iat: now - 1000, exp: now - 100 } }),
      'not yet valid': await signed({ claims: { nbf: now + 600 } }),
      'wrong iss': await signed({ claims: { iss: 'https://evil.example' } }),
      'wrong aud': await signed({ claims: { aud: 'amrutam-mfa' } }),
      'wrong typ': await signed({ header: { typ: 'mfa+jwt' } }),
      'no typ': await signed({ header: { typ: undefined } }),
      'unknown kid': await signed({ header: { kid: 'not-our-key' } }),
    };
    for (const [what, token] of Object.entries(forged)) {
      const res = await me(token);
      expect(res.statusCode, what).toBe(401);
      expect(['INVALID_TOKEN', 'TOKEN_EXPIRED'], what).toContain(res.json().code);
    }
  });
});

describe('refresh-token families', () => {
  it('five concurrent presentations of one token all get the one successor; reuse past the grace revokes the family', async () => {
    const a = await signUp(t);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => post('/auth/refresh', { refreshToken: a.refreshToken })),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((r) => r.json().refreshToken)).size).toBe(1);
    t.clock.advance(11_000);
    const late = await post('/auth/refresh', { refreshToken: a.refreshToken });
    expect(late.json().code).toBe('REFRESH_TOKEN_REUSED');
    expect((await post('/auth/refresh', { refreshToken: answers[0]!.json().refreshToken })).statusCode).toBe(
      401,
    );
    expect((await me(answers[0]!.json().accessToken)).json().code).toBe('SESSION_REVOKED');
  });
});

describe('passwords', () => {
  it('refuses common and trivial passwords, and the own e-mail or name, with 400 WEAK_PASSWORD', async () => {
    for (const password of [
      '1234567890',
      'password12',
      'aaaaaaaaaa',
      'abcdefghij',
      'qwertyuiop',
      'Password123!',
    ]) {
      const res = await post('/auth/register', { email: 'weak@example.test', password, name: 'Weak' });
      expect(res.statusCode, password).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'WEAK_PASSWORD', errors: [{ path: 'body.password' }] });
      expect(res.body).not.toContain(password);
    }
    const own = await post('/auth/register', {
      email: 'meera.iyer@example.test',
      password: 'Meera.Iyer2024',
      name: 'Meera Iyer',
    });
    expect(own.json().code).toBe('WEAK_PASSWORD');
    expect(passwordWeakness('0987654321', { email: 'x@example.test', name: 'X' })).toMatch(/run/);
    expect(passwordWeakness('a long password', { email: 'x@example.test', name: 'X' })).toBeNull();
  });

  it('applies to a password change, a reset (the token stays usable) and an admin the operator creates', async () => {
    const a = await signUp(t);
    const change = await post(
      '/auth/password',
      { currentPassword: a.password, newPassword: 'iloveyou123' },
      bearer(a.accessToken),
    );
    expect(change.statusCode).toBe(400);
    expect(change.json()).toMatchObject({ code: 'WEAK_PASSWORD', errors: [{ path: 'body.newPassword' }] });

    const token = 'reset-token-for-the-weak-password-test-0001';
    const now = t.clock.now();
    await t.platform.db
      .insertInto('password_reset_tokens')
      .values({
        user_id: a.id,
        token_hash: sha256Hex(token),
        created_at: now,
        expires_at: new Date(now.getTime() + 600_000),
      })
      .execute();
    expect((await post('/auth/password/reset', { token, newPassword: '1111111111' })).json().code).toBe(
      'WEAK_PASSWORD',
    );
    expect(
      (await post('/auth/password/reset', { token, newPassword: 'a sturdier password' })).statusCode,
    ).toBe(204);

    await expect(
      t.services.auth.ensureAdmin({
        email: 'weak-admin@example.test',
        password: 'qwerty123456',
        name: 'Ops',
      }),
    ).rejects.toMatchObject({ code: 'WEAK_PASSWORD' });
  });

  it('are stored as argon2id with at least the OWASP parameters (read back from the users table)', async () => {
    const a = await signUp(t);
    const { password_hash } = await t.platform.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    const phc = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(
      password_hash,
    );
    expect(phc, password_hash).not.toBeNull();
    const [m, tCost, p] = phc!.slice(1).map(Number) as [number, number, number];
    // OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
    expect(m).toBeGreaterThanOrEqual(19_456);
    expect(tCost).toBeGreaterThanOrEqual(2);
    expect(p).toBeGreaterThanOrEqual(1);
    expect(parseOptions(password_hash)).toMatchObject(ARGON2_PARAMS);
  });
});

describe('a failed sign-in tells nothing', () => {
  it('an unknown e-mail and a wrong password: the same status and body, and both verify an argon2id hash', async () => {
    const a = await signUp(t);
    argon2.verified.length = 0;
    const wrong = await post('/auth/login', { email: a.email, password: 'not the password' });
    const afterWrong = [...argon2.verified];
    const unknown = await post('/auth/login', {
      email: 'nobody-here@example.test',
      password: 'not the password',
    });
    const afterUnknown = argon2.verified.slice(afterWrong.length);
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
    expect(strip(unknown.json())).toEqual(strip(wrong.json()));
    expect(unknown.headers['content-type']).toBe(wrong.headers['content-type']);
    // The unknown account's path does the same work: one argon2id verification at the same cost.
    expect(afterWrong).toHaveLength(1);
    expect(afterUnknown).toHaveLength(1);
    const cost = (h: string) => h.split('$').slice(1, 4).join('$');
    expect(cost(afterUnknown[0]!)).toBe(cost(afterWrong[0]!));
  });

  it('its audit row names an unknown e-mail by a keyed digest, not a plain hash', async () => {
    const email = 'not-an-account@example.test';
    await post('/auth/login', { email: ` ${email.toUpperCase()}`, password: 'not the password' });
    const rows = await t.platform.db
      .selectFrom('audit_logs')
      .select('details')
      .where('action', '=', 'auth.login_failed')
      .where('entity_id', 'is', null)
      .execute();
    const details = rows.map((r) => r.details as Record<string, unknown>);
    const mine = details.find((d) => d.emailDigest === emailDigest(t.platform.cipher, email));
    expect(mine).toMatchObject({ reason: 'unknown_email' });
    expect(JSON.stringify(details)).not.toContain(sha256Hex(email));
    expect(JSON.stringify(details)).not.toContain(email);
  });
});

describe('found by fuzzing', () => {
  it('a reset with a bad token is refused before the new password is hashed (no argon2 work for anyone)', async () => {
    const before = argon2.hashes;
    const res = await post('/auth/password/reset', {
      token: 'x'.repeat(43),
      newPassword: 'a perfectly good passphrase',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_RESET_TOKEN');
    expect(argon2.hashes).toBe(before);
  });
});
