/**
 * The driver's soak job: patients' visits for `seconds`, either as fast as `workers` loops go
 * (rate null: the capacity probe) or started at `rate` visits a second (open loop: a visit whose
 * start time has come waits only for a free worker). A visit reads slots `readsPerVisit` times,
 * books a random slot, then pays (every payEvery-th visit) or cancels, which opens the slot again,
 * so a few thousand patients and slots last for hours. Conflicts (409) are normal under random
 * slots and counted apart; anything else that is not the expected status is an error.
 * Each minute's counts go to minuteFile as one JSON line, for the runner to join with its samples.
 */
import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import {
  count,
  driverNote,
  type Latency,
  latencyOf,
  mintPatientTokens,
  Samples,
  type StatusCounts,
} from '../lib.ts';
import { call, codeOf, type Reply } from './http.ts';

export interface SoakJob {
  kind: 'soak';
  name: string;
  baseUrl: string;
  dataDir: string;
  seconds: number;
  workers: number;
  /** Visits started per second; null: as fast as the workers go. */
  rate: number | null;
  readsPerVisit: number;
  payEvery: number;
  patientIds: string[];
  slotIds: string[];
  doctorIds: string[];
  windowStarts: string[];
  windowDays: number;
  minuteFile?: string;
}

export interface SoakMinute {
  minute: number;
  requests: number;
  visits: number;
  conflicts: number;
  errors: number;
  latency: Latency;
}

export interface SoakResult {
  seconds: number;
  visits: number;
  visitsPerSecond: number;
  requests: number;
  statuses: StatusCounts;
  conflictCodes: StatusCounts;
  errors: number;
  latency: Latency;
  samples: Array<{ what: string; status: number; body: string }>;
}

export async function runSoak(job: SoakJob): Promise<SoakResult> {
  const base = new URL(job.baseUrl);
  const tokens = await mintPatientTokens(job.dataDir, job.patientIds, job.seconds + 3_600);
  const agent = new Agent({ keepAlive: true, maxSockets: job.workers, maxFreeSockets: job.workers });
  const windows = job.windowStarts.map(
    (from) => `from=${from}&to=${new Date(Date.parse(from) + job.windowDays * 86_400_000).toISOString()}`,
  );
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
  const statuses: StatusCounts = {};
  const conflictCodes: StatusCounts = {};
  const samples: SoakResult['samples'] = [];
  const all = new Samples();
  let minute = { lat: new Samples(), visits: 0, conflicts: 0, errors: 0 };
  let errors = 0;
  let visits = 0;

  async function request(
    what: string,
    expected: number,
    method: string,
    path: string,
    auth?: string,
    body?: string,
  ) {
    const headers: Record<string, string> = auth ? { authorization: auth } : {};
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['idempotency-key'] = randomUUID();
    }
    let reply: Reply;
    try {
      reply = await call(
        agent,
        base,
        method,
        path,
        headers,
        body ?? null,
        (s) => s !== expected || what === 'book',
      );
    } catch (error) {
      errors++;
      minute.errors++;
      if (samples.length < 10) samples.push({ what, status: 0, body: String(error) });
      return null;
    }
    count(statuses, `${what} ${reply.status}`);
    all.push(reply.ms);
    minute.lat.push(reply.ms);
    if (reply.status === 409) {
      count(conflictCodes, codeOf(reply.body));
      minute.conflicts++;
    } else if (reply.status !== expected) {
      errors++;
      minute.errors++;
      if (samples.length < 10)
        samples.push({ what, status: reply.status, body: (reply.body ?? '').slice(0, 400) });
    }
    return reply;
  }

  async function visit(i: number) {
    for (let r = 0; r < job.readsPerVisit; r++) {
      await request('read', 200, 'GET', `/api/v1/doctors/${pick(job.doctorIds)}/slots?${pick(windows)}`);
    }
    const auth = `Bearer ${tokens[i % tokens.length]}`;
    const booked = await request(
      'book',
      201,
      'POST',
      '/api/v1/appointments',
      auth,
      `{"slotId":"${pick(job.slotIds)}"}`,
    );
    if (booked?.status !== 201) return;
    const appointment = JSON.parse(booked.body ?? '{}') as { id: string; payment?: { id: string } | null };
    if (i % job.payEvery === 0 && appointment.payment) {
      await request('pay', 200, 'POST', `/api/v1/payments/${appointment.payment.id}/sandbox/succeed`, auth);
    } else {
      await request(
        'cancel',
        200,
        'POST',
        `/api/v1/appointments/${appointment.id}/cancel`,
        auth,
        '{"reason":"soak"}',
      );
    }
  }

  const started = performance.now();
  const end = started + job.seconds * 1000;
  let minuteIndex = 0;
  const flushMinute = async () => {
    const done = minute;
    minute = { lat: new Samples(), visits: 0, conflicts: 0, errors: 0 };
    const line: SoakMinute = {
      minute: ++minuteIndex,
      requests: done.lat.length,
      visits: done.visits,
      conflicts: done.conflicts,
      errors: done.errors,
      latency: latencyOf(done.lat.values()),
    };
    driverNote(
      `${job.name}: minute ${line.minute}: ${line.requests} requests, p99 ${line.latency.p99} ms, ${line.errors} errors`,
    );
    if (job.minuteFile) await appendFile(job.minuteFile, `${JSON.stringify(line)}\n`);
  };
  const minuteTimer = setInterval(() => void flushMinute(), 60_000);
  let next = 0;
  async function worker() {
    for (;;) {
      const i = next++;
      if (job.rate !== null) {
        const due = started + (i / job.rate) * 1000;
        if (due >= end) return;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      } else if (performance.now() >= end) return;
      await visit(i);
      visits++;
      minute.visits++;
    }
  }
  await Promise.all(Array.from({ length: job.workers }, worker));
  clearInterval(minuteTimer);
  if (minute.lat.length > 0) await flushMinute(); // the last, partial minute
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    seconds: Math.round(seconds * 10) / 10,
    visits,
    visitsPerSecond: Math.round((visits / seconds) * 10) / 10,
    requests: all.length,
    statuses,
    conflictCodes,
    errors,
    latency: latencyOf(all.values()),
    samples,
  };
}
