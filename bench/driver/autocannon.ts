/**
 * The driver's autocannon job: fixed connections and duration after an uncounted warm-up, either GET
 * paths round-robin or bookings, each with its own pre-computed (patient, slot) pair, bearer token
 * and Idempotency-Key. A pair is never reused: when they run out the run stops and says so.
 */
import { randomUUID } from 'node:crypto';
import autocannon, { type Instance, type RawRequest, type RequestSpec } from 'autocannon';
import {
  type AutocannonJob,
  type AutocannonResult,
  driverNote,
  mintPatientTokens,
  type StatusCounts,
} from '../lib.ts';

export async function runAutocannon(job: AutocannonJob): Promise<AutocannonResult> {
  let next = 0;
  let exhausted = false;
  let current: Instance | undefined;
  const samples: Array<{ status: number; body: string }> = [];
  let spec: RequestSpec;
  if (job.paths) {
    const paths = job.paths;
    spec = {
      method: 'GET',
      setupRequest: (req: RawRequest) => {
        req.path = paths[next++ % paths.length]!;
        return req;
      },
    };
  } else if (job.book) {
    const { pairs } = job.book;
    driverNote(`${job.name}: minting ${pairs.length.toLocaleString('en')} access tokens`);
    const tokens = await mintPatientTokens(
      job.book.dataDir,
      pairs.map((p) => p.patientId),
    );
    spec = {
      method: 'POST',
      path: '/api/v1/appointments',
      setupRequest: (req: RawRequest) => {
        let i = next++;
        if (i >= pairs.length) {
          // Never reuse a pair: stop the run and say so (the runner reports a harness failure).
          exhausted = true;
          current?.stop();
          i = pairs.length - 1;
        }
        req.body = `{"slotId":"${pairs[i]!.slotId}"}`;
        req.headers = {
          'content-type': 'application/json',
          authorization: `Bearer ${tokens[i]}`,
          'idempotency-key': randomUUID(),
        };
        return req;
      },
      onResponse: (status: number, body: string) => {
        if (status !== 201 && samples.length < 5) samples.push({ status, body: body.slice(0, 400) });
      },
    };
  } else {
    throw new Error('autocannon job needs paths or book');
  }
  const requests = [spec];
  if (job.warmupSeconds > 0) {
    current = autocannon({
      url: job.baseUrl,
      connections: job.connections,
      duration: job.warmupSeconds,
      requests,
    });
    await current;
    samples.length = 0;
  }
  current = autocannon({ url: job.baseUrl, connections: job.connections, duration: job.seconds, requests });
  const r = await current;
  const statuses: StatusCounts = {};
  let total = 0;
  for (const [code, { count: n }] of Object.entries(r.statusCodeStats)) {
    statuses[code] = Number(n);
    total += Number(n);
  }
  return {
    requests: total,
    seconds: r.duration,
    rps: Math.round((total / r.duration) * 10) / 10,
    latency: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
      mean: r.latency.mean,
    },
    statuses,
    errors: r.errors,
    timeouts: r.timeouts,
    ...(job.book ? { pairsUsed: Math.min(next, job.book.pairs.length), exhausted, samples } : {}),
  };
}
