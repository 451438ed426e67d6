import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerJobHandlers } from '../src/jobs.ts';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import { bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { type Mailbox, startMailbox } from './helpers/mailbox.ts';

// Issue 13: nobody can lock someone else out. Failures are slowed down per account + address, an
// account under attack only slows down the clients that failed, and its owner is told once; the
// second factor has its own limit; an MFA token completes one sign-in.

let t: TestApp;
let mailbox: Mailbox;
beforeAll(async () => {
  mailbox = await startMailbox();
  t = await startTestApp({
    env: {
      SMTP_URL: mailbox.url,
      PUBLIC_URL: 'https://amrutam.example/',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
      LOGIN_MAX_FAILURES_PER_IP: '1000',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    },
  });
  registerJobHandlers(t.services, t.platform.logger);
});
afterAll(async () => {
  await t.close();
  await mailbox.close();
});

const post = (url: string, payload: object, headers: Record<string, string> = {}, ip = '10.20.0.1') =>
  t.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers, remoteAddress: ip });
const login = (email: string, password: string, ip: string) =>
  post('/auth/login', { email, password }, {}, ip);
/** The attack: `perAddress` wrong passwords from each of `addresses` addresses. */
async function attack(email: string, addresses: number, perAddress: number, net: string) {
  const answers: number[] = [];
  for (let a = 0; a < addresses; a++)
    for (let i = 0; i < perAddress; i++)
      answers.push((await login(email, `guess ${a}-${i}`, `${net}.${a}`)).statusCode);
  return answers;
}
const alertsFor = async (userId: string) =>
  (
    await t.platform.db
      .selectFrom('outbox')
      .select('payload')
      .where('topic', '=', 'auth.login_alert')
      .execute()
  ).filter((r) => (r.payload as { userId?: string }).userId === userId);

describe('an attacker cannot lock the owner out', () => {
  it('many wrong passwords from many addresses: the owner signs in from a clean address at once', async () => {
    const victim = await signUp(t);
    // 5 addresses × 3 guesses = 15 failures: past the account cap (4 × 3 = 12).
    const answers = await attack(victim.email, 5, 3, '10.21.0');
    // Past the cap the last address is slowed down after its first failure.
    expect(answers).toEqual([...Array(13).fill(401), 429, 429]);
    expect((await login(victim.email, victim.password, '10.21.9.9')).statusCode).toBe(200);
  });

  it('past the cap every client is slowed down after its first failure; the owner is mailed once', async () => {
    const victim = await signUp(t);
    await attack(victim.email, 5, 3, '10.22.0');
    // A new address gets one guess, then waits.
    expect((await login(victim.email, 'one more guess', '10.22.1.1')).statusCode).toBe(401);
    const slowed = await login(victim.email, 'and another', '10.22.1.1');
    expect(slowed.statusCode).toBe(429);
    expect(Number(slowed.headers['retry-after'])).toBeGreaterThan(0);
    // Still, a clean client with the right password is never refused.
    expect((await login(victim.email, victim.password, '10.22.2.2')).statusCode).toBe(200);

    await attack(victim.email, 3, 1, '10.22.3');
    expect(await alertsFor(victim.id)).toHaveLength(1);
    await t.services.outbox.relay();
    const [mail] = await mailbox.waitFor(victim.email);
    expect(mail!.subject).toContain('failed sign-ins');
    expect(mail!.text).toContain('https://amrutam.example/account');
    expect(mail!.text).not.toContain('guess 0-0');
  });

  it('an unknown e-mail is throttled exactly like a known one (no enumeration by 429)', async () => {
    const known = await signUp(t);
    const unknownEmail = 'nobody-at-all@example.test';
    const runFor = async (email: string, ip: string) => {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await login(email, 'wrong password', ip)).statusCode);
      return answers;
    };
    const knownAnswers = await runFor(known.email, '10.23.0.1');
    expect(knownAnswers).toEqual([401, 401, 401, 429]);
    expect(await runFor(unknownEmail, '10.23.0.2')).toEqual(knownAnswers);
  });
});

describe('the second factor', () => {
  /** A new account with MFA on: its session (with the factor), secret and recovery codes. */
  async function enrolled() {
    const account = await signUp(t);
    const { secret } = (await post('/auth/mfa/setup', {}, bearer(account.accessToken))).json();
    const enable = await post(
      '/auth/mfa/enable',
      { code: totpCodeAt(secret, t.clock.now()) },
      bearer(account.accessToken),
    );
    expect(enable.statusCode).toBe(200);
    const { accessToken, recoveryCodes } = enable.json();
    return {
      account,
      accessToken: accessToken as string,
      secret: secret as string,
      recoveryCodes: recoveryCodes as string[],
    };
  }

  it('wrong codes at enable are limited per user, from any address (429 + Retry-After)', async () => {
    const a = await signUp(t);
    await post('/auth/mfa/setup', {}, bearer(a.accessToken));
    const codes = [];
    for (let i = 0; i < 4; i++)
      codes.push(
        (await post('/auth/mfa/enable', { code: '000000' }, bearer(a.accessToken), `10.24.0.${i}`))
          .statusCode,
      );
    expect(codes).toEqual([400, 400, 400, 429]);
  });

  it('wrong codes at disable and at sign-in are limited too, and share the count', async () => {
    const { account, accessToken } = await enrolled();
    const codes = [];
    for (let i = 0; i < 2; i++)
      codes.push((await post('/auth/mfa/disable', { code: '000000' }, bearer(accessToken))).statusCode);
    const { mfaToken } = (await login(account.email, account.password, '10.24.1.1')).json();
    for (let i = 0; i < 2; i++)
      codes.push((await post('/auth/mfa/verify', { mfaToken, code: '000000' })).statusCode);
    const refused = await post('/auth/mfa/disable', { code: '000000' }, bearer(accessToken));
    expect(codes).toEqual([401, 401, 401, 429]);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('one MFA token completes one sign-in, even with two right factors sent at once', async () => {
    const { account, secret, recoveryCodes } = await enrolled();
    t.clock.advance(30_000);
    const { mfaToken } = (await login(account.email, account.password, '10.25.0.1')).json();
    // A TOTP code and a recovery code: each would pass alone, so only the token's single use decides.
    const both = await Promise.all([
      post('/auth/mfa/verify', { mfaToken, code: totpCodeAt(secret, t.clock.now()) }),
      post('/auth/mfa/verify', { mfaToken, code: recoveryCodes[0]! }),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 401]);
    expect(both.find((r) => r.statusCode === 401)!.json().code).toBe('INVALID_TOKEN');
    // Sequentially too: the token is used up.
    t.clock.advance(30_000);
    const again = await post('/auth/mfa/verify', { mfaToken, code: totpCodeAt(secret, t.clock.now()) });
    expect(again.json().code).toBe('INVALID_TOKEN');
  });

  it('one TOTP code used at once by two sign-ins: one wins', async () => {
    const { account, secret } = await enrolled();
    t.clock.advance(30_000);
    const [first, second] = await Promise.all([
      login(account.email, account.password, '10.26.0.1'),
      login(account.email, account.password, '10.26.0.2'),
    ]);
    const code = totpCodeAt(secret, t.clock.now());
    const both = await Promise.all([
      post('/auth/mfa/verify', { mfaToken: first.json().mfaToken, code }),
      post('/auth/mfa/verify', { mfaToken: second.json().mfaToken, code }),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 401]);
    expect(both.find((r) => r.statusCode === 401)!.json().code).toBe('INVALID_MFA_CODE');
  });
});
