import type { AddressInfo } from 'node:net';
import { ApiError, createAmrutamClient, type Tokens } from '@amrutam/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerJobHandlers } from '../src/jobs.ts';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { uniqueName } from './helpers/services.ts';

// @amrutam/client against a real server over HTTP (a test app listening on a port, its clock
// movable): every step of a booking's life goes through the client only; only the operator's
// admin account and the refund job's run come from the test.
let t: TestApp;
let baseUrl: string;
const admin = { email: `${uniqueName('ops')}@example.test`, password: 'a long admin password' };
beforeAll(async () => {
  t = await startTestApp();
  registerJobHandlers(t.services, t.platform.logger); // the refund is a job the outbox hands over
  await t.services.auth.ensureAdmin({ ...admin, name: 'Ops' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(() => t.close());

interface Sent {
  method: string;
  path: string;
  key: string | null;
  authorization: string | null;
}

/** A client whose every send is recorded, and whose token changes are too. */
function recordedClient(tokens: Tokens | null = null) {
  const sent: Sent[] = [];
  const changes: Array<Tokens | null> = [];
  const client = createAmrutamClient({
    baseUrl,
    tokens,
    onTokens: (pair) => void changes.push(pair),
    fetch: (request) => {
      sent.push({
        method: request.method,
        path: new URL(request.url).pathname,
        key: request.headers.get('idempotency-key'),
        authorization: request.headers.get('authorization'),
      });
      return fetch(request);
    },
  });
  return { client, sent, changes };
}

const password = 'a long enough password';
const newUser = (role: 'patient' | 'doctor', name: string) => ({
  email: `${uniqueName(role)}@example.test`,
  password,
  name,
  role,
});

async function signedUpPatient() {
  const patient = recordedClient();
  const { user } = await patient.client.auth.register(newUser('patient', 'Meera Iyer'));
  return { ...patient, email: user.email };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 250; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('gave up waiting');
}

it('a doctor is verified, a patient finds, books, pays, sees it confirmed, cancels and is refunded', async () => {
  const { client: doctor } = recordedClient();
  const doctorName = `Dr. ${uniqueName('Asha')}`;
  await doctor.auth.register(newUser('doctor', doctorName));
  await doctor.PUT('/api/v1/doctors/me', {
    body: {
      registrationNumber: 'NCISM/AY/10234',
      council: 'NCISM',
      specializations: ['kayachikitsa'],
      languages: ['hi', 'en'],
      feeMinor: 50000,
      modes: ['video'],
      timezone: 'Asia/Kolkata',
      bio: 'Kayachikitsa physician',
    },
  });
  const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({
    weekday,
    start: '09:00',
    end: '13:00',
    slotMinutes: 30,
    mode: 'video' as const,
  }));
  await doctor.PUT('/api/v1/doctors/me/schedule', { body: { rules, horizonDays: 14 } });
  const { id: doctorId } = await doctor.GET('/api/v1/doctors/me');

  const { client: ops } = recordedClient();
  expect(await ops.auth.login(admin.email, admin.password)).toMatchObject({ user: { role: 'admin' } });
  const verified = await ops.POST('/api/v1/admin/doctors/{id}/verify', {
    params: { path: { id: doctorId } },
    body: { status: 'verified' },
  });
  expect(verified.verificationStatus).toBe('verified');

  const { client: patient, sent } = await signedUpPatient();
  const found = await patient.GET('/api/v1/doctors', { params: { query: { q: doctorName } } });
  expect(found.items.map((d) => d.id)).toEqual([doctorId]);
  // Two days ahead: well before the 24 h cut-off, so cancelling refunds everything.
  const from = new Date(t.clock.now().getTime() + 48 * 3_600_000);
  const slots = await patient.GET('/api/v1/doctors/{id}/slots', {
    params: {
      path: { id: doctorId },
      query: { from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString() },
    },
  });
  const slot = slots.items[0]!;

  const booked = await patient.POST('/api/v1/appointments', {
    body: { slotId: slot.id, mode: 'video', reason: 'Acidity and poor sleep' },
  });
  expect(booked).toMatchObject({ status: 'pending_payment', slotId: slot.id, feeMinor: 50000 });
  const paymentId = booked.payment!.id;
  const checkout = await patient.POST('/api/v1/payments/{id}/checkout', {
    params: { path: { id: paymentId } },
  });
  expect(checkout).toMatchObject({ paymentId, amountMinor: 50000, currency: 'INR' });
  const paid = await patient.POST('/api/v1/payments/{id}/sandbox/{outcome}', {
    params: { path: { id: paymentId, outcome: 'succeed' } },
  });
  expect(paid.outcome).toBe('captured');
  const appointment = { params: { path: { id: booked.id } } };
  expect(await patient.GET('/api/v1/appointments/{id}', appointment)).toMatchObject({ status: 'confirmed' });

  const cancelled = await patient.POST('/api/v1/appointments/{id}/cancel', {
    ...appointment,
    body: { reason: 'Feeling better' },
  });
  expect(cancelled).toMatchObject({ status: 'cancelled', cancelledBy: 'patient' });
  expect(cancelled.refund).toMatchObject({ amountMinor: 50000 });
  await t.services.outbox.relay();
  const refunded = await until(
    () => patient.GET('/api/v1/appointments/{id}', appointment),
    (a) => a.payment?.status === 'refunded',
  );
  expect(refunded.payment).toMatchObject({ status: 'refunded', refundedMinor: 50000 });

  // One fresh Idempotency-Key per keyed call (book, cancel), none on anything else; the session's
  // token on every call after sign-up, none on sign-up itself.
  const keyed = sent.filter((s) => s.key !== null);
  expect(keyed.map((s) => s.path)).toEqual([
    '/api/v1/appointments',
    `/api/v1/appointments/${booked.id}/cancel`,
  ]);
  expect(new Set(keyed.map((s) => s.key)).size).toBe(2);
  expect(sent[0]).toMatchObject({ path: '/api/v1/auth/register', authorization: null });
  expect(sent.slice(1).every((s) => s.authorization?.startsWith('Bearer '))).toBe(true);
});

it('an expired access token is refreshed once for many concurrent calls; the app is told each new pair', async () => {
  const { client: patient, sent, changes } = await signedUpPatient();
  const first = patient.tokens()!;
  t.clock.advance(16 * 60_000); // past the 15-minute access token
  const answers = await Promise.all([
    patient.GET('/api/v1/me'),
    patient.GET('/api/v1/appointments'),
    patient.GET('/api/v1/payments'),
    patient.GET('/api/v1/me/notifications'),
    patient.GET('/api/v1/me'),
  ]);
  expect(answers).toHaveLength(5);
  const refreshes = () => sent.filter((s) => s.path === '/api/v1/auth/refresh').length;
  expect(refreshes()).toBe(1);
  const second = patient.tokens()!;
  expect(second.refreshToken).not.toBe(first.refreshToken);
  expect(changes).toEqual([first, second]);
  // Every call went out twice: once refused, once with the new token.
  const calls = sent.filter((s) => s.path !== '/api/v1/auth/refresh' && s.path !== '/api/v1/auth/register');
  expect(calls.filter((s) => s.authorization === `Bearer ${first.accessToken}`)).toHaveLength(5);
  expect(calls.filter((s) => s.authorization === `Bearer ${second.accessToken}`)).toHaveLength(5);

  // The session lives on (no reuse detected): a later expiry refreshes again, from the new pair.
  t.clock.advance(16 * 60_000);
  expect((await patient.GET('/api/v1/me')).role).toBe('patient');
  expect(refreshes()).toBe(2);
  expect(changes).toHaveLength(3);

  // A resumed client whose refresh token was rotated away: the session is over, and it says so.
  const stale = recordedClient(first);
  const error = await stale.client.GET('/api/v1/me').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  expect(error).toMatchObject({ status: 401 });
  expect(stale.changes).toEqual([null]);
  expect(stale.client.tokens()).toBeNull();
});

it('MFA: enabling keeps the (new) session; login asks for a code, verify signs in; logout ends it', async () => {
  const { client: patient, changes, email } = await signedUpPatient();
  const { secret } = await patient.POST('/api/v1/auth/mfa/setup');
  const before = patient.tokens();
  const enabled = await patient.POST('/api/v1/auth/mfa/enable', {
    body: { code: totpCodeAt(secret, t.clock.now()) },
  });
  expect(enabled.recoveryCodes.length).toBeGreaterThan(0);
  expect(patient.tokens()).toEqual({ accessToken: enabled.accessToken, refreshToken: enabled.refreshToken });
  expect(patient.tokens()).not.toEqual(before);
  t.clock.advance(16 * 60_000); // the new refresh token is the one the client rotates
  expect((await patient.GET('/api/v1/me')).email).toBe(email);

  await patient.auth.logout();
  expect(patient.tokens()).toBeNull();
  expect(changes.at(-1)).toBeNull();
  expect(changes.filter((pair) => pair === null)).toHaveLength(1);
  await expect(patient.GET('/api/v1/me')).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });

  const challenge = await patient.auth.login(email, password);
  expect(challenge).toMatchObject({ mfaRequired: true });
  expect(patient.tokens()).toBeNull();
  t.clock.advance(30_000); // a code is good once: the next step's
  const mfaToken = 'mfaToken' in challenge ? challenge.mfaToken : '';
  await patient.auth.verifyMfa(mfaToken, totpCodeAt(secret, t.clock.now()));
  expect(patient.tokens()).not.toBeNull();
  expect((await patient.GET('/api/v1/me')).email).toBe(email);
  // A wrong password is an answer, not an expired session: no refresh is tried.
  await expect(patient.auth.login(email, 'not the password')).rejects.toMatchObject({
    status: 401,
    code: 'INVALID_CREDENTIALS',
  });
});
