import { generateKeyPairSync } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGON2_PARAMS } from '../src/modules/auth/passwords.ts';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000', LOGIN_MAX_FAILURES_PER_IP: '1000' } });
});
afterAll(() => t.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object, headers });
const me = (token: string) => t.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString());
}

describe('registration', () => {
  it('creates a patient by default → 201 with user and tokens', async () => {
    const res = await post('/auth/register', {
      email: 'Meera@Example.test',
      password: 'correct horse',
      name: 'Meera',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({ email: 'Meera@Example.test', role: 'patient', name: 'Meera' });
    expect(body.user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toHaveProperty('accessToken');
    expect(body).toHaveProperty('refreshToken');
    expect(JSON.stringify(body)).not.toContain('password');
    expect((await me(body.accessToken)).json()).toMatchObject({
      email: 'Meera@Example.test',
      mfaEnabled: false,
    });
  });

  it('treats email case-insensitively → 409 EMAIL_TAKEN', async () => {
    const res = await post('/auth/register', {
      email: 'MEERA@example.TEST',
      password: 'another pass',
      name: 'M2',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('EMAIL_TAKEN');
  });

  it('refuses self-registration as admin, short passwords and unknown fields → 400', async () => {
    for (const payload of [
      { email: 'x1@example.test', password: 'long enough pw', name: 'X', role: 'admin' },
      { email: 'x2@example.test', password: 'short', name: 'X' },
      { email: 'x3@example.test', password: 'long enough pw', name: 'X', isAdmin: true },
    ]) {
      const res = await post('/auth/register', payload);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
  });

  it('stores passwords as argon2id with the pinned parameters', async () => {
    const a = await signUp(t);
    const row = await t.platform.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});

describe('login', () => {
  let account: Account;
  beforeAll(async () => {
    account = await signUp(t, 'doctor');
  });

  it('answers 200 with tokens, user and expiresIn', async () => {
    const res = await post('/auth/login', { email: account.email.toUpperCase(), password: account.password });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ expiresIn: 900, user: { id: account.id, role: 'doctor' } });
  });

  it('does not reveal whether an account exists: wrong password and unknown email look the same', async () => {
    const wrong = await post(
      '/auth/login',
      { email: account.email, password: 'not the password' },
      { 'x-forwarded-for': '1.1.1.1' },
    );
    const unknown = await post('/auth/login', { email: 'nobody@example.test', password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect(wrong.json().code).toBe('INVALID_CREDENTIALS');
  });

  it('rehashes a password stored with old parameters on the next login', async () => {
    const a = await signUp(t);
    const old = await hash(a.password, { memoryCost: 8192, timeCost: 1, parallelism: 1 });
    await t.platform.db.updateTable('users').set({ password_hash: old }).where('id', '=', a.id).execute();
    expect((await post('/auth/login', { email: a.email, password: a.password })).statusCode).toBe(200);
    const row = await t.platform.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).not.toBe(old);
    expect(row.password_hash).toContain(`m=${ARGON2_PARAMS.memoryCost},t=${ARGON2_PARAMS.timeCost},p=1`);
  });
});

describe('access tokens', () => {
  let account: Account;
  beforeAll(async () => {
    account = await signUp(t);
  });

  it('are EdDSA JWTs with a kid that the JWKS publishes', async () => {
    const header = decodePart(account.accessToken, 0);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    const jwks = (await t.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kid: header.kid,
      kty: 'OKP',
      crv: 'Ed25519',
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const payload = decodePart(account.accessToken, 1);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
  });

  it('missing → 401, tampered → 401, malformed header → 401', async () => {
    expect((await t.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    const [h, p, s] = account.accessToken.split('.');
    const claims = { ...decodePart(account.accessToken, 1), role: 'admin' };
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expect(p).not.toBe(forged.split('.')[1]);
    const res = await me(forged);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('INVALID_TOKEN');
    expect(
      (await t.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Basic abc` } }))
        .statusCode,
    ).toBe(401);
  });

  it('expired → 401 TOKEN_EXPIRED (moving the clock 15 min)', async () => {
    const a = await signUp(t);
    expect((await me(a.accessToken)).statusCode).toBe(200);
    t.clock.advance(15 * 60_000 + 1000);
    const res = await me(a.accessToken);
    t.clock.advance(-(15 * 60_000 + 1000));
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('TOKEN_EXPIRED');
  });

  it('alg:none and HS256 tokens are rejected even with valid-looking claims', async () => {
    const claims = decodePart(account.accessToken, 1);
    const unsecured = new UnsecuredJWT(claims).encode();
    expect((await me(unsecured)).statusCode).toBe(401);
    // HS256 keyed with the public key: the classic algorithm-confusion attack.
    const jwk = (await t.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys[0];
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: jwk.kid, typ: 'at+jwt' })
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    expect((await me(hs)).statusCode).toBe(401);
  });

  it('signed by another key with our kid → 401', async () => {
    const claims = decodePart(account.accessToken, 1);
    const header = decodePart(account.accessToken, 0);
    const { privateKey } = generateKeyPairSync('ed25519');
    const other = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: String(header.kid), typ: 'at+jwt' })
      .sign(privateKey);
    expect((await me(other)).statusCode).toBe(401);
  });
});

describe('refresh tokens', () => {
  it('rotate on every use: the new pair works, the old refresh token is spent', async () => {
    const a = await signUp(t);
    const first = await post('/auth/refresh', { refreshToken: a.refreshToken });
    expect(first.statusCode).toBe(200);
    const pair = first.json();
    expect(pair).toMatchObject({ expiresIn: 900 });
    expect(pair.refreshToken).not.toBe(a.refreshToken);
    expect((await me(pair.accessToken)).statusCode).toBe(200);
    const second = await post('/auth/refresh', { refreshToken: pair.refreshToken });
    expect(second.statusCode).toBe(200);
  });

  it('re-use of a rotated token (after the grace period) revokes the whole family', async () => {
    const a = await signUp(t);
    const rotated = (await post('/auth/refresh', { refreshToken: a.refreshToken })).json();
    t.clock.advance(11_000);
    const reuse = await post('/auth/refresh', { refreshToken: a.refreshToken });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().code).toBe('REFRESH_TOKEN_REUSED');
    // The legitimate holder's newer token is dead too: the family is revoked.
    const after = await post('/auth/refresh', { refreshToken: rotated.refreshToken });
    expect(after.statusCode).toBe(401);
    const audit = await t.platform.db
      .selectFrom('audit_logs')
      .select('action')
      .where('actor_id', '=', a.id)
      .execute();
    expect(audit.map((r) => r.action)).toContain('auth.refresh_reuse');
  });

  it('two concurrent refreshes of one token within the grace period get the same successor', async () => {
    const a = await signUp(t);
    const [x, y] = await Promise.all([
      post('/auth/refresh', { refreshToken: a.refreshToken }),
      post('/auth/refresh', { refreshToken: a.refreshToken }),
    ]);
    expect([x.statusCode, y.statusCode]).toEqual([200, 200]);
    // One successor: the family does not fork, and it continues once.
    expect(x.json().refreshToken).toBe(y.json().refreshToken);
    expect((await post('/auth/refresh', { refreshToken: x.json().refreshToken })).statusCode).toBe(200);
  });

  it('within the grace the same successor again; once that is used, the old token revokes the family', async () => {
    const a = await signUp(t);
    const first = await post('/auth/refresh', { refreshToken: a.refreshToken });
    const second = await post('/auth/refresh', { refreshToken: a.refreshToken });
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(second.json().refreshToken).toBe(first.json().refreshToken);
    const next = await post('/auth/refresh', { refreshToken: first.json().refreshToken });
    expect(next.statusCode).toBe(200);
    // The successor moved on: the old token is a second branch, theft, even inside the grace.
    const third = await post('/auth/refresh', { refreshToken: a.refreshToken });
    expect(third.json().code).toBe('REFRESH_TOKEN_REUSED');
    expect((await post('/auth/refresh', { refreshToken: next.json().refreshToken })).statusCode).toBe(401);
  });

  it('unknown, expired or garbage tokens → 401', async () => {
    expect((await post('/auth/refresh', { refreshToken: 'nope' })).statusCode).toBe(401);
    const a = await signUp(t);
    t.clock.advance(31 * 86_400_000);
    const expired = await post('/auth/refresh', { refreshToken: a.refreshToken });
    t.clock.advance(-31 * 86_400_000);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('INVALID_REFRESH_TOKEN');
  });

  it('logout revokes the session family → refresh fails; 204 without a body', async () => {
    const a = await signUp(t);
    const res = await post('/auth/logout', undefined, bearer(a.accessToken));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await post('/auth/refresh', { refreshToken: a.refreshToken })).statusCode).toBe(401);
    expect((await post('/auth/logout', undefined)).statusCode).toBe(401);
  });
});

describe('MFA (TOTP)', () => {
  it('setup → enable → login challenge → verify; codes are single-use; recovery codes work once', async () => {
    const a = await signUp(t);
    const setup = await post('/auth/mfa/setup', undefined, bearer(a.accessToken));
    expect(setup.statusCode).toBe(200);
    const { secret, otpauthUrl } = setup.json();
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/Amrutam:/);
    const stored = await t.platform.db
      .selectFrom('users')
      .select(['mfa_pending_secret'])
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(stored.mfa_pending_secret).not.toContain(secret);

    expect((await post('/auth/mfa/enable', { code: '000000' }, bearer(a.accessToken))).json().code).toBe(
      'INVALID_MFA_CODE',
    );
    const enable = await post(
      '/auth/mfa/enable',
      { code: totpCodeAt(secret, t.clock.now()) },
      bearer(a.accessToken),
    );
    expect(enable.statusCode).toBe(200);
    const { recoveryCodes } = enable.json();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);

    const login = await post('/auth/login', { email: a.email, password: a.password });
    expect(login.json()).toEqual({ mfaRequired: true, mfaToken: expect.any(String) });
    const { mfaToken } = login.json();
    // The MFA token is not an access token.
    expect((await me(mfaToken)).statusCode).toBe(401);

    // The enrolment code's step is spent; the next step's code is accepted once.
    t.clock.advance(30_000);
    const code = totpCodeAt(secret, t.clock.now());
    const ok = await post('/auth/mfa/verify', { mfaToken, code });
    expect(ok.statusCode).toBe(200);
    expect(decodePart(ok.json().accessToken, 1).amr).toEqual(['pwd', 'otp']);
    // The MFA token completed its sign-in: it is used up, whatever the code.
    const replay = await post('/auth/mfa/verify', { mfaToken, code });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('INVALID_TOKEN');
    const challenge = async () =>
      (await post('/auth/login', { email: a.email, password: a.password })).json().mfaToken as string;
    const again = await challenge();
    const codeReplay = await post('/auth/mfa/verify', { mfaToken: again, code });
    expect(codeReplay.statusCode).toBe(401);
    expect(codeReplay.json().code).toBe('INVALID_MFA_CODE');

    // ±1 step window: a code from the previous step is still valid if unused... but it is older
    // than the last accepted step, so it is refused too.
    const previous = totpCodeAt(secret, new Date(t.clock.now().getTime() - 30_000));
    expect((await post('/auth/mfa/verify', { mfaToken: again, code: previous })).statusCode).toBe(401);
    // A code from two steps ahead is outside the window.
    const far = totpCodeAt(secret, new Date(t.clock.now().getTime() + 90_000));
    expect((await post('/auth/mfa/verify', { mfaToken: again, code: far })).statusCode).toBe(401);

    // Wrong codes don't use the token up: a recovery code completes it.
    const recovery = await post('/auth/mfa/verify', {
      mfaToken: again,
      code: recoveryCodes[0].toUpperCase(),
    });
    expect(recovery.statusCode).toBe(200);
    expect(
      (await post('/auth/mfa/verify', { mfaToken: await challenge(), code: recoveryCodes[0] })).statusCode,
    ).toBe(401);

    // Disable needs a fresh second factor.
    const session = recovery.json();
    expect(
      (await post('/auth/mfa/disable', { code: '123456' }, bearer(session.accessToken))).statusCode,
    ).toBe(401);
    t.clock.advance(30_000);
    const disable = await post(
      '/auth/mfa/disable',
      { code: totpCodeAt(secret, t.clock.now()) },
      bearer(session.accessToken),
    );
    expect(disable.statusCode).toBe(204);
    expect((await post('/auth/login', { email: a.email, password: a.password })).json()).toHaveProperty(
      'accessToken',
    );

    const actions = await t.platform.db
      .selectFrom('audit_logs')
      .select('action')
      .where('entity_id', '=', a.id)
      .execute();
    expect(actions.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'auth.mfa_setup',
        'auth.mfa_enabled',
        'auth.mfa_challenge',
        'auth.mfa_failed',
        'auth.mfa_disabled',
      ]),
    );
  });

  it('enabling MFA ends every other session of the account', async () => {
    const a = await signUp(t);
    const other = (await post('/auth/login', { email: a.email, password: a.password })).json();
    const { secret } = (await post('/auth/mfa/setup', undefined, bearer(a.accessToken))).json();
    await post('/auth/mfa/enable', { code: totpCodeAt(secret, t.clock.now()) }, bearer(a.accessToken));
    expect((await post('/auth/refresh', { refreshToken: other.refreshToken })).statusCode).toBe(401);
  });

  it('knowing the password does not reset the count of wrong codes', async () => {
    const strict = await startTestApp({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '3' } });
    try {
      const a = await signUp(strict);
      const p = (url: string, payload: unknown, headers: Record<string, string> = {}, ip = '10.8.0.1') =>
        strict.inject({
          method: 'POST',
          url: `/api/v1${url}`,
          payload: payload as object,
          headers,
          remoteAddress: ip,
        });
      const { secret } = (await p('/auth/mfa/setup', undefined, bearer(a.accessToken))).json();
      await p('/auth/mfa/enable', { code: totpCodeAt(secret, strict.clock.now()) }, bearer(a.accessToken));
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        // Each from its own address: the password is right every time, so only the codes count.
        const login = await p('/auth/login', { email: a.email, password: a.password }, {}, `10.8.1.${i}`);
        expect(login.statusCode).toBe(200);
        codes.push(
          (await p('/auth/mfa/verify', { mfaToken: login.json().mfaToken, code: '000000' })).statusCode,
        );
      }
      // Wrong codes have their own limit per user (3 here), which a right password doesn't clear.
      expect(codes).toEqual([401, 401, 401, 429]);
    } finally {
      await strict.close();
    }
  });

  it('the MFA token expires after 5 minutes', async () => {
    const a = await signUp(t);
    const { secret } = (await post('/auth/mfa/setup', undefined, bearer(a.accessToken))).json();
    await post('/auth/mfa/enable', { code: totpCodeAt(secret, t.clock.now()) }, bearer(a.accessToken));
    const { mfaToken } = (await post('/auth/login', { email: a.email, password: a.password })).json();
    t.clock.advance(5 * 60_000 + 1000);
    const res = await post('/auth/mfa/verify', { mfaToken, code: totpCodeAt(secret, t.clock.now()) });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('TOKEN_EXPIRED');
  });
});

describe('roles', () => {
  it('an admin endpoint as a patient or doctor → 403; as admin → 200', async () => {
    const patient = await signUp(t, 'patient');
    const doctor = await signUp(t, 'doctor');
    const admin = await signUp(t, 'admin');
    for (const who of [patient, doctor]) {
      const res = await t.inject({
        method: 'GET',
        url: '/api/v1/admin/audit-logs',
        headers: bearer(who.accessToken),
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN');
    }
    expect(
      (await t.inject({ method: 'GET', url: '/api/v1/admin/audit-logs', headers: bearer(admin.accessToken) }))
        .statusCode,
    ).toBe(200);
  });
});

describe('MFA required by configuration', () => {
  it('an admin without MFA gets 403 MFA_REQUIRED until enrolled; enrolling upgrades the session', async () => {
    const strict = await startTestApp({ env: { MFA_REQUIRED_ROLES: 'doctor,admin' } });
    try {
      const admin = await signUp(strict, 'admin');
      const denied = await strict.inject({
        method: 'GET',
        url: '/api/v1/admin/audit-logs',
        headers: bearer(admin.accessToken),
      });
      expect(denied.statusCode).toBe(403);
      expect(denied.json().code).toBe('MFA_REQUIRED');
      // Enrolment itself stays reachable.
      const { secret } = (
        await strict.inject({
          method: 'POST',
          url: '/api/v1/auth/mfa/setup',
          headers: bearer(admin.accessToken),
        })
      ).json();
      const enabled = await strict.inject({
        method: 'POST',
        url: '/api/v1/auth/mfa/enable',
        headers: bearer(admin.accessToken),
        payload: { code: totpCodeAt(secret, strict.clock.now()) },
      });
      const upgraded = enabled.json().accessToken;
      expect(
        (await strict.inject({ method: 'GET', url: '/api/v1/admin/audit-logs', headers: bearer(upgraded) }))
          .statusCode,
      ).toBe(200);
      // And it can't be switched off while required.
      strict.clock.advance(30_000);
      const off = await strict.inject({
        method: 'POST',
        url: '/api/v1/auth/mfa/disable',
        headers: bearer(upgraded),
        payload: { code: totpCodeAt(secret, strict.clock.now()) },
      });
      expect(off.statusCode).toBe(403);
    } finally {
      await strict.close();
    }
  });
});
