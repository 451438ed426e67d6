import { decodeJwt, jwtVerify } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, freshToken, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// The consultation's windows: start from 15 min before, no-show from 10 min after the start, the
// video room from 15 min before to 30 min after the end, for the two parties only, with a token for
// that room and that participant that expires when the window closes.
const MINUTE = 60_000;
let t: TestApp;
let admin: Account;
let kit: ReturnType<typeof bookingKit>;
beforeAll(async () => {
  t = await startTestApp();
  admin = await signUp(t, 'admin');
  kit = bookingKit(t, admin);
});
afterAll(() => t.close());

/** A paid appointment 2 hours ahead (30 minutes long); the clock is moved relative to its start. */
async function paid(app = t, k = kit) {
  const booked = await k.booked(2);
  await k.pay(booked.patient, booked.appointment.payment.id, 'succeed');
  const startsAt = new Date(booked.appointment.startsAt).getTime();
  const at = async (offsetMs: number) => {
    app.clock.set(new Date(startsAt + offsetMs).toISOString());
    booked.doctor.accessToken = await freshToken(app, booked.doctor);
    booked.patient.accessToken = await freshToken(app, booked.patient);
  };
  return { ...booked, startsAt, at };
}

const step = (k: typeof kit, who: Account, id: string, path: string) =>
  k.call(who.accessToken, 'POST', `/appointments/${id}/${path}`, undefined, null);
const room = (k: typeof kit, who: Account, id: string) =>
  k.call(who.accessToken, 'GET', `/appointments/${id}/room`, undefined, null);

describe('lifecycle windows', () => {
  it('start opens 15 minutes before the start; earlier is 409 TOO_EARLY with the instant it opens', async () => {
    const { doctor, appointment: a, startsAt, at } = await paid();
    await at(-16 * MINUTE);
    const early = await step(kit, doctor, a.id, 'start');
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({
      code: 'TOO_EARLY',
      opensAt: new Date(startsAt - 15 * MINUTE).toISOString(),
    });
    await at(-15 * MINUTE);
    expect((await step(kit, doctor, a.id, 'start')).json().status).toBe('in_progress');
    expect((await step(kit, doctor, a.id, 'start')).json().code).toBe('INVALID_STATE');
  });

  it('a no-show can be recorded from 10 minutes after the start, not before', async () => {
    const { doctor, appointment: a, startsAt, at } = await paid();
    await at(9 * MINUTE);
    expect((await step(kit, doctor, a.id, 'no-show')).json()).toMatchObject({
      code: 'TOO_EARLY',
      opensAt: new Date(startsAt + 10 * MINUTE).toISOString(),
    });
    await at(10 * MINUTE);
    expect((await step(kit, doctor, a.id, 'no-show')).json().status).toBe('no_show');
    expect((await step(kit, doctor, a.id, 'complete')).json().code).toBe('INVALID_STATE');
  });

  it('the windows are configurable', async () => {
    const other = await startTestApp({
      env: { CONSULTATION_START_EARLY_MINUTES: '5', CONSULTATION_NO_SHOW_AFTER_MINUTES: '20' },
    });
    try {
      const k = bookingKit(other, await signUp(other, 'admin'));
      const { doctor, appointment: a, at } = await paid(other, k);
      await at(-6 * MINUTE);
      expect((await step(k, doctor, a.id, 'start')).json().code).toBe('TOO_EARLY');
      await at(-5 * MINUTE);
      expect((await step(k, doctor, a.id, 'start')).json().status).toBe('in_progress');
    } finally {
      await other.close();
    }
  });
});

describe('the video room (Jitsi, the default)', () => {
  it('is open to the two parties from 15 min before the start to 30 min after the end, with a token for that room and person', async () => {
    const { doctor, patient, appointment: a, startsAt, at } = await paid();
    const window = {
      opensAt: new Date(startsAt - 15 * MINUTE).toISOString(),
      closesAt: new Date(startsAt + 60 * MINUTE).toISOString(), // a 30-minute slot, +30
    };
    await at(-16 * MINUTE);
    const closed = await room(kit, patient, a.id);
    expect(closed.statusCode).toBe(403);
    expect(closed.json()).toMatchObject({ code: 'ROOM_NOT_OPEN', ...window });

    await at(-15 * MINUTE);
    const forPatient = await room(kit, patient, a.id);
    expect(forPatient.statusCode, forPatient.body).toBe(200);
    const body = forPatient.json();
    expect(body).toMatchObject({ provider: 'jitsi', expiresAt: window.closesAt });
    expect(body.roomName).toMatch(/^amrutam-[A-Za-z0-9_-]{22}$/);
    expect(body.roomName).not.toContain(a.id.slice(0, 8));
    expect(body.joinUrl).toBe(`https://meet.jit.si/${body.roomName}?jwt=${body.token}`);
    const { payload } = await jwtVerify(body.token, new TextEncoder().encode(t.platform.videoSecret), {
      audience: 'jitsi',
      issuer: 'amrutam',
      currentDate: t.clock.now(),
    });
    expect(payload).toMatchObject({
      room: body.roomName,
      sub: 'meet.jit.si',
      nbf: Math.floor(Date.parse(window.opensAt) / 1000),
      exp: Math.floor(Date.parse(window.closesAt) / 1000),
      context: { user: { id: patient.id, name: 'Test patient', moderator: 'false' } },
    });
    const forDoctor = (await room(kit, doctor, a.id)).json();
    expect(forDoctor.roomName).toBe(body.roomName);
    expect(decodeJwt(forDoctor.token)).toMatchObject({
      context: { user: { id: doctor.id, moderator: 'true' } },
    });

    await at(60 * MINUTE);
    expect((await room(kit, doctor, a.id)).json()).toMatchObject({ code: 'ROOM_NOT_OPEN', ...window });
    expect(await kit.auditActions(a.id)).toContain('appointment.room_joined');
  });

  it('others are told it does not exist, admins may not join, and an unpaid appointment has no room', async () => {
    const { appointment: a, at } = await paid();
    await at(0);
    const stranger = await signUp(t);
    expect((await room(kit, stranger, a.id)).statusCode).toBe(404);
    expect((await room(kit, { ...admin, accessToken: await freshToken(t, admin) }, a.id)).statusCode).toBe(
      403,
    );
    const unpaid = await kit.booked(1);
    t.clock.set(unpaid.appointment.startsAt);
    const patient = { ...unpaid.patient, accessToken: await freshToken(t, unpaid.patient) };
    expect((await room(kit, patient, unpaid.appointment.id)).json().code).toBe('INVALID_STATE');
  });
});

describe('the video room with LiveKit', () => {
  it('issues an access token for that room and identity, allowed to join, until the window closes', async () => {
    const secret = 'livekit-test-secret-0123456789';
    const lk = await startTestApp({
      env: {
        VIDEO_PROVIDER: 'livekit',
        LIVEKIT_URL: 'wss://livekit.example.test',
        LIVEKIT_API_KEY: 'APIkey123',
        LIVEKIT_API_SECRET: secret,
      },
    });
    try {
      const k = bookingKit(lk, await signUp(lk, 'admin'));
      const { doctor, appointment: a, startsAt, at } = await paid(lk, k);
      await at(-10 * MINUTE);
      const res = await room(k, doctor, a.id);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ provider: 'livekit', joinUrl: 'wss://livekit.example.test' });
      const claims = await new TokenVerifier('APIkey123', secret).verify(body.token);
      expect(claims).toMatchObject({
        sub: doctor.id,
        name: 'Test doctor',
        video: { room: body.roomName, roomJoin: true, canPublish: true, canSubscribe: true },
      });
      // Valid from now until the window closes (LiveKit stamps `nbf` with its own clock).
      const closesAt = startsAt + 60 * MINUTE;
      const { nbf, exp } = decodeJwt(body.token);
      expect(exp! - nbf!).toBe(Math.floor((closesAt - lk.clock.now().getTime()) / 1000));
    } finally {
      await lk.close();
    }
  });
});
