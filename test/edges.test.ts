import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisKv } from '../src/platform/redis.ts';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';
import { redisProxy } from './helpers/redis-proxy.ts';
import { REDIS_URL, uniqueName } from './helpers/services.ts';

/** The IP the server recorded for a registration made with these headers, from this address. */
async function recordedIp(t: TestApp, remoteAddress: string, forwardedFor?: string) {
  const email = `${uniqueName('ip')}@example.test`;
  const res = await t.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    remoteAddress,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
    payload: { email, password: 'a long password', name: 'Ip' },
  });
  const row = await t.platform.db
    .selectFrom('audit_logs')
    .select('ip')
    .where('action', '=', 'auth.register')
    .where('entity_id', '=', res.json().user.id)
    .executeTakeFirstOrThrow();
  return row.ip;
}

describe('TRUST_PROXY', () => {
  it('false: the socket address; a hop count: that many proxies; addresses/CIDR: only those proxies', async () => {
    const cases: Record<string, Array<[remote: string, forwardedFor: string, seen: string]>> = {
      false: [['10.0.0.1', '198.51.100.1', '10.0.0.1']],
      // One trusted hop: what the client wrote itself further left is not believed.
      '1': [
        ['10.0.0.1', '203.0.113.7', '203.0.113.7'],
        ['10.0.0.1', '198.51.100.1, 203.0.113.7', '203.0.113.7'],
      ],
      '10.0.0.0/8': [
        ['10.0.0.1', '198.51.100.1, 10.0.0.2', '198.51.100.1'],
        ['192.0.2.9', '198.51.100.1', '192.0.2.9'],
      ],
    };
    for (const [setting, checks] of Object.entries(cases)) {
      const t = await startTestApp({ env: { TRUST_PROXY: setting } });
      try {
        for (const [remote, forwardedFor, seen] of checks) {
          expect(await recordedIp(t, remote, forwardedFor), `${setting}: ${forwardedFor}`).toBe(seen);
        }
      } finally {
        await t.close();
      }
    }
  });
});

describe('a hung Redis', () => {
  it('a command Redis doesn’t answer fails after REDIS_COMMAND_TIMEOUT_MS instead of hanging', async () => {
    const proxy = await redisProxy(REDIS_URL);
    const kv = await createRedisKv(proxy.url, `${uniqueName('hung')}:`, 200);
    try {
      expect(await kv.cache.getMany(['a'])).toEqual([null]);
      proxy.freeze();
      const started = Date.now();
      await expect(kv.cache.getMany(['a'])).rejects.toThrow(/timed out/i);
      expect(Date.now() - started).toBeLessThan(1000);
      // SUBSCRIBE too (the subscriber connection has no command timeout of its own).
      const subscribing = Date.now();
      await expect(kv.pubsub.subscribe('doctor-1', () => {})).rejects.toThrow(/timed out/i);
      expect(Date.now() - subscribing).toBeLessThan(1000);
    } finally {
      proxy.thaw();
      await kv.close();
      await proxy.close();
    }
  });

  describe('the API keeps answering from the database', () => {
    let proxy: Awaited<ReturnType<typeof redisProxy>>;
    let t: TestApp;
    let kit: ReturnType<typeof bookingKit>;
    let admin: Account;
    beforeAll(async () => {
      proxy = await redisProxy(REDIS_URL);
      t = await startTestApp({ env: { REDIS_URL: proxy.url, REDIS_COMMAND_TIMEOUT_MS: '200' } });
      admin = await signUp(t, 'admin');
      kit = bookingKit(t, admin);
    });
    afterAll(async () => {
      proxy.thaw();
      await t.close();
      await proxy.close();
    });

    it('slot reads and bookings answer within about a second while Redis hangs', async () => {
      const { doctor, slots } = await kit.doctorWithSlots(2);
      const patient = await signUp(t);
      proxy.freeze();
      const started = Date.now();
      const read = await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/slots` });
      expect(read.statusCode).toBe(200);
      expect(read.json().items).toHaveLength(2);
      const booking = await kit.book(patient, slots[0]!.id);
      expect(booking.statusCode).toBe(201);
      expect(Date.now() - started).toBeLessThan(2000);
      const after = await t.inject({
        method: 'GET',
        url: `/api/v1/doctors/${doctor.id}/slots`,
        headers: bearer(patient.accessToken),
      });
      expect(after.json().items).toHaveLength(1);
    });
  });
});

describe('production', () => {
  it('has no sandbox: its route does not exist with a real gateway', async () => {
    const t = await startTestApp({
      mode: 'embedded',
      env: {
        PAYMENT_PROVIDER: 'razorpay',
        RAZORPAY_KEY_ID: 'rzp_test',
        RAZORPAY_KEY_SECRET: 'secret',
        PAYMENT_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
      },
    });
    try {
      const patient = await signUp(t);
      const res = await t.inject({
        method: 'POST',
        url: '/api/v1/payments/00000000-0000-4000-8000-000000000000/sandbox/succeed',
        headers: bearer(patient.accessToken),
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
      expect(t.services.sandbox).toBeNull();
    } finally {
      await t.close();
    }
  });
});
