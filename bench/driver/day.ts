/**
 * The driver's day job, a compressed day: `workers` concurrent loops, each taking the next pair,
 * reading slots readsPerBooking times (random doctor, random window), booking, then paying every
 * payEvery-th booking or cancelling every cancelEvery-th (offset cancelOffset). Stops at capSeconds
 * and says the run was partial. Unexpected statuses are counted and a few bodies kept as samples.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import {
  count,
  type DayJob,
  type DayKindResult,
  type DayResult,
  driverNote,
  latencyOf,
  mintPatientTokens,
  Samples,
  type StatusCounts,
} from '../lib.ts';
import { call, type Reply } from './http.ts';

export async function runDay(job: DayJob): Promise<DayResult> {
  const base = new URL(job.baseUrl);
  driverNote(`day: minting ${job.pairs.length.toLocaleString('en')} access tokens`);
  const tokens = await mintPatientTokens(
    job.dataDir,
    job.pairs.map((p) => p.patientId),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: job.workers, maxFreeSockets: job.workers });
  const windows = job.windowStarts.map((from) => {
    const to = new Date(Date.parse(from) + job.windowDays * 86_400_000).toISOString();
    return `from=${from}&to=${to}`;
  });
  const kinds = ['reads', 'bookings', 'pays', 'cancels'] as const;
  type Kind = (typeof kinds)[number];
  const stats = Object.fromEntries(
    kinds.map((k) => [k, { statuses: {} as StatusCounts, lat: new Samples() }]),
  ) as Record<Kind, { statuses: StatusCounts; lat: Samples }>;
  const allLat = new Samples();
  const samples: DayResult['samples'] = [];
  let errors = 0;
  const expected: Record<Kind, number> = { reads: 200, bookings: 201, pays: 200, cancels: 200 };

  const record = (kind: Kind, r: Reply) => {
    count(stats[kind].statuses, r.status);
    stats[kind].lat.push(r.ms);
    allLat.push(r.ms);
    if (r.status !== expected[kind] && samples.length < 10) {
      samples.push({ kind, status: r.status, body: (r.body ?? '').slice(0, 400) });
    }
  };
  const safely = async (kind: Kind, p: Promise<Reply>): Promise<Reply | null> => {
    try {
      const r = await p;
      record(kind, r);
      return r;
    } catch (error) {
      errors++;
      if (samples.length < 10) samples.push({ kind, status: 0, body: String(error) });
      return null;
    }
  };
  const notExpected = (kind: Kind) => (s: number) => s !== expected[kind];

  let next = 0;
  let completed = 0;
  const started = performance.now();
  const deadline = started + job.capSeconds * 1000;
  let stopped = false;
  const progress = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    driverNote(
      `day: ${s.toFixed(0)} s, ${completed.toLocaleString('en')}/${job.pairs.length.toLocaleString('en')} bookings, ` +
        `${stats.reads.lat.length.toLocaleString('en')} reads, ${Math.round(allLat.length / s).toLocaleString('en')} req/s`,
    );
  }, 10_000);

  async function worker() {
    for (;;) {
      if (performance.now() > deadline) {
        stopped = true;
        return;
      }
      const i = next++;
      if (i >= job.pairs.length) return;
      for (let r = 0; r < job.readsPerBooking; r++) {
        const doctor = job.doctorIds[Math.floor(Math.random() * job.doctorIds.length)]!;
        const window = windows[Math.floor(Math.random() * windows.length)]!;
        await safely(
          'reads',
          call(
            agent,
            base,
            'GET',
            `/api/v1/doctors/${doctor}/slots?${window}`,
            {},
            null,
            notExpected('reads'),
          ),
        );
      }
      const pay = i % job.payEvery === 0;
      const cancel = !pay && i % job.cancelEvery === job.cancelOffset;
      const auth = `Bearer ${tokens[i]}`;
      const booked = await safely(
        'bookings',
        call(
          agent,
          base,
          'POST',
          '/api/v1/appointments',
          { 'content-type': 'application/json', authorization: auth, 'idempotency-key': randomUUID() },
          `{"slotId":"${job.pairs[i]!.slotId}"}`,
          (s) => pay || cancel || s !== 201,
        ),
      );
      completed++;
      if (booked?.status !== 201 || !(pay || cancel)) continue;
      const appointment = JSON.parse(booked.body ?? '{}') as {
        id?: string;
        payment?: { id?: string } | null;
      };
      if (pay) {
        if (!appointment.payment?.id) {
          errors++;
          if (samples.length < 10)
            samples.push({ kind: 'pays', status: 0, body: 'booking answer has no payment.id' });
          continue;
        }
        await safely(
          'pays',
          call(
            agent,
            base,
            'POST',
            `/api/v1/payments/${appointment.payment.id}/sandbox/succeed`,
            { authorization: auth },
            null,
            notExpected('pays'),
          ),
        );
      } else {
        await safely(
          'cancels',
          call(
            agent,
            base,
            'POST',
            `/api/v1/appointments/${appointment.id}/cancel`,
            { 'content-type': 'application/json', authorization: auth, 'idempotency-key': randomUUID() },
            '{"reason":"changed plans"}',
            notExpected('cancels'),
          ),
        );
      }
    }
  }

  await Promise.all(Array.from({ length: job.workers }, worker));
  clearInterval(progress);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const kindResult = (k: Kind): DayKindResult => ({
    count: stats[k].lat.length,
    statuses: stats[k].statuses,
    latency: latencyOf(stats[k].lat.values()),
  });
  return {
    seconds: Math.round(seconds * 100) / 100,
    completedBookings: completed,
    plannedBookings: job.pairs.length,
    partial: stopped || completed < job.pairs.length,
    reads: kindResult('reads'),
    bookings: kindResult('bookings'),
    pays: kindResult('pays'),
    cancels: kindResult('cancels'),
    all: { count: allLat.length, latency: latencyOf(allLat.values()) },
    errors,
    samples,
  };
}
