import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerJobHandlers } from '../src/jobs.ts';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';
import { type Mailbox, startMailbox } from './helpers/mailbox.ts';

// Issue 9, item 7: a job that fails every try (a mail server refusing mail) is retried with growing
// delays, then kept on the dead-letter list; an admin retries it once the server is back, and each
// mail arrives exactly once. The same on BullMQ (PostgreSQL + Redis) and the in-process queue.
describe.each(['postgres', 'embedded'] as const)('dead letters (%s)', (mode) => {
  let t: TestApp;
  let mailbox: Mailbox;
  let admin: Account;
  let kit: ReturnType<typeof bookingKit>;
  beforeAll(async () => {
    mailbox = await startMailbox();
    t = await startTestApp({ mode, env: { SMTP_URL: mailbox.url } });
    registerJobHandlers(t.services, t.platform.logger);
    admin = await signUp(t, 'admin');
    kit = bookingKit(t, admin);
  });
  afterAll(async () => {
    await t.close();
    await mailbox.close();
  });

  const get = (url: string, token = admin.accessToken) =>
    t.inject({ method: 'GET', url: `/api/v1${url}`, headers: bearer(token) });
  const retry = (id: string, token = admin.accessToken) =>
    t.inject({ method: 'POST', url: `/api/v1/admin/jobs/dead/${id}/retry`, headers: bearer(token) });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function confirmedBooking() {
    const { doctor, patient, appointment } = await kit.booked();
    expect((await kit.pay(patient, appointment.payment.id, 'succeed')).statusCode).toBe(200);
    return { doctor, patient, appointmentId: appointment.id as string };
  }

  it('a refusing mail server: growing delays, the dead-letter list, then one mail each after a retry', async () => {
    mailbox.refuse('all');
    const bookings = [await confirmedBooking(), await confirmedBooking()];
    await t.services.outbox.relay();

    let dead: Array<{ id: string; name: string; data: { appointmentId: string } }> = [];
    for (let i = 0; i < 1000 && dead.length < 2; i++) {
      dead = (await get('/admin/jobs/dead')).json().items;
      if (dead.length < 2) await sleep(20);
    }
    expect(dead.map((d) => d.data.appointmentId).sort()).toEqual(bookings.map((b) => b.appointmentId).sort());
    for (const letter of dead) {
      expect(letter).toMatchObject({ name: 'appointment.confirmed', attempts: 5 });
      expect((letter as unknown as { failedReason: string }).failedReason).toMatch(
        /^confirmed: email not sent \(EENVELOPE 550\)/,
      );
    }
    expect(JSON.stringify(dead)).not.toContain('@example.test');

    // Five tries 500 ms × 2 apart, ±25 % jitter: each wait longer than the one before.
    const tries = mailbox.tries
      .filter((r) => r.to === bookings[0]!.patient.email.toLowerCase())
      .map((r) => r.at);
    expect(tries).toHaveLength(5);
    const waits = tries.slice(1).map((at, i) => at - tries[i]!);
    waits.forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(0.75 * 500 * 2 ** i - 20);
      if (i > 0) expect(wait).toBeGreaterThan(waits[i - 1]!);
    });

    const metrics = (await t.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('job_queue_jobs{state="dead"} 2');
    expect(metrics).toContain('job_failures_total{name="appointment.confirmed"} 10');
    expect(metrics).toMatch(/job_duration_seconds_count\{name="appointment.confirmed",outcome="failed"\} 10/);

    // Paged, newest first.
    const first = (await get('/admin/jobs/dead?limit=1')).json();
    expect(first.items).toHaveLength(1);
    const second = (await get(`/admin/jobs/dead?limit=1&cursor=${first.nextCursor}`)).json();
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([first.items[0].id, second.items[0].id]).size).toBe(2);

    mailbox.refuse(null);
    for (const letter of dead) expect((await retry(letter.id)).statusCode).toBe(204);
    for (const { doctor, patient } of bookings) {
      await mailbox.waitFor(patient.email);
      await mailbox.waitFor(doctor.email);
    }
    await sleep(300);
    for (const { doctor, patient } of bookings) {
      expect(mailbox.mailsTo(patient.email)).toHaveLength(1);
      expect(mailbox.mailsTo(doctor.email)).toHaveLength(1);
    }
    expect((await get('/admin/jobs/dead')).json().items).toEqual([]);
    expect(await kit.auditActions(dead[0]!.id)).toEqual(['job.dead_retried']);
    expect((await retry(dead[0]!.id)).statusCode).toBe(404); // no longer dead
  });

  it('admins only; unknown ids 404; bad input 400, never 500', async () => {
    const patient = await signUp(t);
    expect((await get('/admin/jobs/dead', patient.accessToken)).statusCode).toBe(403);
    expect((await retry(randomUUID(), patient.accessToken)).statusCode).toBe(403);
    expect((await t.inject({ method: 'GET', url: '/api/v1/admin/jobs/dead' })).statusCode).toBe(401);
    const unknown = randomUUID();
    expect((await retry(unknown)).statusCode).toBe(404);
    expect(await kit.auditActions(unknown)).toEqual([]);
    for (const url of ['?limit=0', '?limit=101', '?limit=abc', '?cursor=bm90LWEtY3Vyc29y', '?state=all']) {
      const res = await get(`/admin/jobs/dead${url}`);
      expect(res.statusCode, url).toBe(400);
    }
    expect((await retry('not-a-uuid')).statusCode).toBe(400);
  });
});
