/**
 * The driver's contended job: rounds of N simultaneous bookings of one slot. All N connections are
 * opened before the first round (a request that still had to open one is counted), so a round
 * measures the product deciding one winner, not TCP set-up. A round's time runs to its last answer.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import {
  type ContendedJob,
  type ContendedResult,
  type ContendedRound,
  count,
  driverNote,
  latencyOf,
  mintPatientTokens,
  Samples,
  type StatusCounts,
  sleep,
} from '../lib.ts';
import { call, codeOf } from './http.ts';

export async function runContended(job: ContendedJob): Promise<ContendedResult> {
  const base = new URL(job.baseUrl);
  const size = Math.max(...job.rounds.map((r) => r.patientIds.length));
  const agent = new Agent({
    keepAlive: true,
    maxSockets: size,
    maxFreeSockets: size,
    keepAliveMsecs: 30_000,
  });
  const everyone = job.rounds.flatMap((r) => r.patientIds);
  driverNote(`book-contended: minting ${everyone.length.toLocaleString('en')} access tokens`);
  const minted = await mintPatientTokens(job.dataDir, everyone);
  const tokenOf = new Map(everyone.map((id, i) => [id, minted[i]!]));

  // Open every connection first: `size` simultaneous cheap requests make the agent open `size`
  // sockets, which stay in its free pool for the rounds.
  const opened = await Promise.allSettled(
    Array.from({ length: size }, () => call(agent, base, 'GET', '/healthz', {}, null, () => false)),
  );
  const failed = opened.filter((o) => o.status === 'rejected').length;
  const free = Object.values(agent.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);
  driverNote(`book-contended: ${free} connections open (${failed} failed to open)`);

  const all = new Samples();
  const rounds: ContendedRound[] = [];
  for (const round of job.rounds) {
    const body = `{"slotId":"${round.slotId}"}`;
    const headers = round.patientIds.map((id) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${tokenOf.get(id)}`,
      'idempotency-key': randomUUID(),
    }));
    const t0 = performance.now();
    const settled = await Promise.allSettled(
      headers.map((h) => call(agent, base, 'POST', '/api/v1/appointments', h, body, (s) => s !== 201, t0)),
    );
    const statuses: StatusCounts = {};
    const conflictCodes: StatusCounts = {};
    let ms = 0;
    let errors = 0;
    let newConnections = 0;
    for (const s of settled) {
      if (s.status === 'rejected') {
        errors++;
        continue;
      }
      const r = s.value;
      ms = Math.max(ms, r.ms);
      all.push(r.ms);
      count(statuses, r.status);
      if (!r.reused) newConnections++;
      if (r.status === 409) count(conflictCodes, codeOf(r.body));
      else if (r.status !== 201) count(conflictCodes, `${r.status}:${codeOf(r.body)}`);
    }
    rounds.push({
      slotId: round.slotId,
      ms: Math.round(ms * 10) / 10,
      statuses,
      conflictCodes,
      newConnections,
      errors,
    });
    driverNote(`book-contended: round ${rounds.length}: ${Math.round(ms)} ms ${JSON.stringify(statuses)}`);
    await sleep(300);
  }
  agent.destroy();
  return { rounds, latency: latencyOf(all.values()) };
}
