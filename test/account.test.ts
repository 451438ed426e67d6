import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerJobHandlers } from '../src/jobs.ts';
import { type Account, bearer, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { type Mailbox, startMailbox } from './helpers/mailbox.ts';

// Items 11 of issue 8: PATCH /me, POST /auth/password, password reset by e-mail (received over
// real SMTP), with the sessions each ends.
let t: TestApp;
let mailbox: Mailbox;
let admin: Account;
beforeAll(async () => {
  mailbox = await startMailbox();
  t = await startTestApp({
    captureLogs: true,
    env: {
      SMTP_URL: mailbox.url,
      PUBLIC_URL: 'https://amrutam.example/',
      MAIL_FROM: 'Amrutam <no-reply@amrutam.example>',
      LOGIN_MAX_FAILURES_PER_IP: '1000',
    },
  });
  registerJobHandlers(t.services, t.platform.logger);
  admin = await signUp(t, 'admin');
});
afterAll(async () => {
  await t.close();
  await mailbox.close();
});

const post = (url: string, payload?: object, token?: string) =>
  t.inject({
    method: 'POST',
    url: `/api/v1${url}`,
    ...(payload ? { payload } : {}),
    headers: token ? bearer(token) : {},
  });
const me = (token: string) => t.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
const patchMe = (token: string, payload: object) =>
  t.inject({ method: 'PATCH', url: '/api/v1/me', headers: bearer(token), payload });
const login = (email: string, password: string) => post('/auth/login', { email, password });
const auditOf = (userId: string) =>
  t.platform.db
    .selectFrom('audit_logs')
    .select(['action', 'details'])
    .where('entity_id', '=', userId)
    .orderBy('occurred_at')
    .execute();

/** Asks for a reset mail, runs the outbox, and returns the token from the `n`-th mail to `email`. */
async function mailedToken(email: string, n = 1): Promise<string> {
  expect((await post('/auth/password/forgot', { email })).statusCode).toBe(202);
  await t.services.outbox.relay();
  const mail = (await mailbox.waitFor(email, n))[n - 1]!;
  const token = /reset-password\?token=([A-Za-z0-9_-]{43})/.exec(mail.text)?.[1];
  expect(token, mail.text).toBeDefined();
  expect(mail.text).toContain(`\n${token}\n`); // the token is shown too, for typing into the app
  return token!;
}

describe('PATCH /me', () => {
  it('changes name, phone and language; answers like GET /me; audits the field names only', async () => {
    const a = await signUp(t);
    const res = await patchMe(a.accessToken, { name: ' Asha Rao ', phone: '+919812345678', locale: 'hi' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual((await me(a.accessToken)).json());
    expect(res.json()).toMatchObject({ name: 'Asha Rao', phone: '+919812345678', locale: 'hi' });
    const cleared = await patchMe(a.accessToken, { phone: null });
    expect(cleared.json()).toMatchObject({ name: 'Asha Rao', phone: null, locale: 'hi' });
    const updates = (await auditOf(a.id)).filter((r) => r.action === 'user.profile_updated');
    expect(updates.map((r) => r.details)).toEqual([
      { fields: ['name', 'phone', 'locale'] },
      { fields: ['phone'] },
    ]);
    expect(JSON.stringify(updates)).not.toContain('9812345678');
    // Nothing changed: nothing to audit.
    expect((await patchMe(a.accessToken, { locale: 'hi' })).statusCode).toBe(200);
    expect((await auditOf(a.id)).filter((r) => r.action === 'user.profile_updated')).toHaveLength(2);
  });

  it('registration takes a language (English by default)', async () => {
    const a = await signUp(t);
    expect((await me(a.accessToken)).json().locale).toBe('en');
    const res = await post('/auth/register', {
      email: `hi.${a.id}@example.test`,
      password: 'a long password',
      name: 'Meera',
      locale: 'hi',
    });
    expect(res.statusCode).toBe(201);
    expect((await me(res.json().accessToken)).json().locale).toBe('hi');
  });

  it('bad input → 400 naming the field and the rule; unknown fields too; no token → 401', async () => {
    const a = await signUp(t);
    for (const [payload, path] of [
      [{ phone: '98123' }, 'body.phone'],
      [{ locale: 'fr' }, 'body.locale'],
      [{ name: '   ' }, 'body.name'],
      [{ email: 'new@example.test' }, 'body.email'],
    ] as const) {
      const res = await patchMe(a.accessToken, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const phone = await patchMe(a.accessToken, { phone: '98123' });
    expect(phone.json().errors[0].message).toMatch(/E\.164/);
    expect((await t.inject({ method: 'PATCH', url: '/api/v1/me', payload: { name: 'X' } })).statusCode).toBe(
      401,
    );
  });

  it('a doctor’s new name is found by search at once, the old one no longer', async () => {
    const doctor = await createDoctor(t, admin);
    const search = async (q: string) =>
      (await t.inject({ method: 'GET', url: `/api/v1/doctors?q=${encodeURIComponent(q)}` }))
        .json()
        .items.map((d: { id: string }) => d.id);
    expect(await search('Test doctor')).toContain(doctor.id);
    expect(await search('Vaidya Zorawar')).not.toContain(doctor.id); // cached for a second now
    const res = await patchMe(doctor.accessToken, { name: 'Vaidya Zorawar' });
    expect(res.json()).toMatchObject({ name: 'Vaidya Zorawar', doctorProfile: { name: 'Vaidya Zorawar' } });
    expect(await search('Vaidya Zorawar')).toContain(doctor.id);
    expect(await search('Test doctor')).not.toContain(doctor.id);
    const row = await t.platform.db
      .selectFrom('doctors')
      .select('search_text')
      .where('user_id', '=', doctor.id)
      .executeTakeFirstOrThrow();
    expect(row.search_text).toMatch(/^Vaidya Zorawar /);
  });
});

describe('POST /auth/password', () => {
  it('needs the current password; ends every other session (refresh and access), keeps this one', async () => {
    const a = await signUp(t);
    const other = (await login(a.email, a.password)).json();
    const res = await post(
      '/auth/password',
      { currentPassword: a.password, newPassword: 'a brand new password' },
      a.accessToken,
    );
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    // This session continues: its access token and its refresh token.
    expect((await me(a.accessToken)).statusCode).toBe(200);
    expect((await post('/auth/refresh', { refreshToken: a.refreshToken })).statusCode).toBe(200);
    // The other one is over, at once.
    const stale = await me(other.accessToken);
    expect(stale.statusCode).toBe(401);
    expect(stale.json().code).toBe('SESSION_REVOKED');
    expect((await post('/auth/refresh', { refreshToken: other.refreshToken })).statusCode).toBe(401);
    expect((await login(a.email, a.password)).statusCode).toBe(401);
    expect((await login(a.email, 'a brand new password')).statusCode).toBe(200);
    const changed = (await auditOf(a.id)).find((r) => r.action === 'auth.password_changed');
    // `other`, and the session registration opened (signUp then logged in).
    expect(changed?.details).toEqual({ sessionsEnded: 2 });
  });

  it('a wrong current password → 401 INVALID_CREDENTIALS, counted like a failed login (then 429)', async () => {
    const a = await signUp(t);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await post(
        '/auth/password',
        { currentPassword: 'not the password', newPassword: 'a brand new password' },
        a.accessToken,
      );
      if (i === 0) expect(res.json().code).toBe('INVALID_CREDENTIALS');
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await login(a.email, a.password)).statusCode).toBe(429); // the account is locked for logins too
    expect((await auditOf(a.id)).map((r) => r.action)).toContain('auth.password_change_failed');
  });

  it('the new password follows the registration rules; unknown fields → 400; signed out → 401', async () => {
    const a = await signUp(t);
    for (const payload of [
      { currentPassword: a.password, newPassword: 'short' },
      { currentPassword: a.password, newPassword: 'long enough password', extra: 1 },
      { newPassword: 'long enough password' },
    ]) {
      expect((await post('/auth/password', payload, a.accessToken)).statusCode).toBe(400);
    }
    expect(
      (await post('/auth/password', { currentPassword: a.password, newPassword: 'long enough pw' }))
        .statusCode,
    ).toBe(401);
  });
});

describe('password reset by e-mail', () => {
  it('forgot → mail (link and token) → reset once; every session ends; the second use → 400', async () => {
    const a = await signUp(t);
    const other = (await login(a.email, a.password)).json();
    const token = await mailedToken(a.email);
    const [mail] = mailbox.mailsTo(a.email);
    expect(mail!.subject).toBe('Reset your Amrutam password');
    expect(mail!.text).toContain(`https://amrutam.example/reset-password?token=${token}`);
    expect(mail!.text).toContain('Hello Test patient');
    expect(mail!.raw).toMatch(/^From: Amrutam <no-reply@amrutam\.example>/m);

    const reset = await post('/auth/password/reset', { token, newPassword: 'reset to this one' });
    expect(reset.statusCode, reset.body).toBe(204);
    expect(reset.body).toBe('');
    for (const session of [a, other]) {
      expect((await me(session.accessToken)).json().code).toBe('SESSION_REVOKED');
      expect((await post('/auth/refresh', { refreshToken: session.refreshToken })).statusCode).toBe(401);
    }
    expect((await login(a.email, a.password)).statusCode).toBe(401);
    expect((await login(a.email, 'reset to this one')).statusCode).toBe(200);

    const again = await post('/auth/password/reset', { token, newPassword: 'and again this one' });
    expect(again.statusCode).toBe(400);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json().code).toBe('INVALID_RESET_TOKEN');
    expect((await auditOf(a.id)).map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'auth.password_reset_requested',
        'auth.password_reset_issued',
        'auth.password_reset',
      ]),
    );
  });

  it('a token expires after 30 minutes (PASSWORD_RESET_TTL_MINUTES)', async () => {
    const a = await signUp(t);
    const token = await mailedToken(a.email);
    t.clock.advance(30 * 60_000);
    const res = await post('/auth/password/reset', { token, newPassword: 'too late for this' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_RESET_TOKEN');
    expect((await login(a.email, a.password)).statusCode).toBe(200);
  });

  it('using one token uses up every other outstanding token of the account', async () => {
    const a = await signUp(t);
    const first = await mailedToken(a.email, 1);
    const second = await mailedToken(a.email, 2);
    expect(first).not.toBe(second);
    expect(
      (await post('/auth/password/reset', { token: second, newPassword: 'the second one' })).statusCode,
    ).toBe(204);
    expect(
      (await post('/auth/password/reset', { token: first, newPassword: 'the first one' })).statusCode,
    ).toBe(400);
  });

  it('an unknown address gets the same answer and no mail', async () => {
    const a = await signUp(t);
    const unknown = `nobody.${a.id}@example.test`;
    const answers = [];
    for (const email of [unknown, a.email]) {
      const res = await post('/auth/password/forgot', { email });
      answers.push({ status: res.statusCode, body: res.body, type: res.headers['content-type'] });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toMatchObject({ status: 202, body: '{"status":"sent"}' });
    await t.services.outbox.relay();
    await mailbox.waitFor(a.email); // asked after the unknown one: that one would have been sent first
    expect(mailbox.mailsTo(unknown)).toEqual([]);
  });

  it('at most 3 mails per account per hour; further requests answer the same, silently', async () => {
    const a = await signUp(t);
    const before = mailbox.received.length;
    for (let i = 0; i < 5; i++) {
      const res = await post('/auth/password/forgot', { email: a.email.toUpperCase() });
      expect([res.statusCode, res.body]).toEqual([202, '{"status":"sent"}']);
    }
    await t.services.outbox.relay();
    await mailbox.waitFor(a.email, 3);
    const outbox = await t.platform.db
      .selectFrom('outbox')
      .select('payload')
      .where('topic', '=', 'auth.password_reset')
      .execute();
    expect(outbox.filter((r) => r.payload.userId === a.id)).toHaveLength(3);
    expect(mailbox.received.length - before).toBe(3);
  });

  it('a reset clears the account’s login lockout', async () => {
    const a = await signUp(t);
    for (let i = 0; i < 6; i++) await login(a.email, 'not the password');
    expect((await login(a.email, a.password)).statusCode).toBe(429);
    const token = await mailedToken(a.email);
    expect((await post('/auth/password/reset', { token, newPassword: 'unlocked password' })).statusCode).toBe(
      204,
    );
    expect((await login(a.email, 'unlocked password')).statusCode).toBe(200);
  });

  it('the mail is in the account’s language', async () => {
    const a = await signUp(t);
    await patchMe(a.accessToken, { locale: 'hi' });
    const token = await mailedToken(a.email);
    const [mail] = mailbox.mailsTo(a.email);
    expect(mail!.subject).toBe('अपना Amrutam पासवर्ड रीसेट करें');
    expect(mail!.text).toContain('नमस्ते Test patient');
    expect(mail!.text).toContain(token);
  });

  it('no token is kept anywhere but as a hash: not in the outbox, the database or the logs', async () => {
    const a = await signUp(t);
    const token = await mailedToken(a.email);
    const outbox = await t.platform.db.selectFrom('outbox').select('payload').execute();
    expect(JSON.stringify(outbox)).not.toContain(token);
    const rows = await t.platform.db
      .selectFrom('password_reset_tokens')
      .selectAll()
      .where('user_id', '=', a.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(t.logs.join('')).not.toContain(token);
    const audit = await t.platform.db.selectFrom('audit_logs').select('details').execute();
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('bad input → 400; a malformed address too (the same for every address)', async () => {
    for (const [url, payload] of [
      ['/auth/password/forgot', { email: 'not-an-address' }],
      ['/auth/password/forgot', { email: 'a@example.test', extra: true }],
      ['/auth/password/reset', { token: 'x', newPassword: 'short' }],
      ['/auth/password/reset', { newPassword: 'long enough password' }],
    ] as const) {
      const res = await post(url, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    const unknown = await post('/auth/password/reset', {
      token: 'x'.repeat(43),
      newPassword: 'long enough pw',
    });
    expect(unknown.json().code).toBe('INVALID_RESET_TOKEN');
  });
});

describe('password reset without SMTP_URL (development)', () => {
  it('writes the mail to DATA_DIR/outbox-mail and logs the file, never the token', async () => {
    const dev = await startTestApp({ mode: 'embedded', captureLogs: true });
    try {
      registerJobHandlers(dev.services, dev.platform.logger);
      const a = await signUp(dev);
      const res = await dev.inject({
        method: 'POST',
        url: '/api/v1/auth/password/forgot',
        payload: { email: a.email },
      });
      expect(res.statusCode).toBe(202);
      await dev.services.outbox.relay();
      const { readdir, readFile } = await import('node:fs/promises');
      const folder = `${dev.platform.config.dataDir}/outbox-mail`;
      let files: string[] = [];
      for (let i = 0; i < 500 && files.length === 0; i++) {
        files = await readdir(folder).catch(() => []);
        if (files.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.eml$/);
      const eml = await readFile(`${folder}/${files[0]}`, 'utf8');
      expect(eml).toMatch(/^Subject: Reset your Amrutam password/m);
      const token = /token=3D([A-Za-z0-9_-]{43})|token=([A-Za-z0-9_-]{43})/.exec(eml);
      expect(token).not.toBeNull();
      const logs = dev.logs.join('');
      expect(logs).toContain(files[0]);
      expect(logs).not.toContain(token![1] ?? token![2]);
      expect(logs).not.toContain(a.email);
    } finally {
      await dev.close();
    }
  });
});
