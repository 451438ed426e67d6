/**
 * The read scenarios, all autocannon over fixed GET paths after a warm-up:
 *   ceiling-http  a bare Fastify server answering the very body read-slots answered (the reference)
 *   read-slots    3-day slot windows from tomorrow 00:00 UTC, over the first doctors round-robin
 *   search        doctor search by each specialization, every 4th with a seeded surname as q
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SPECIALIZATION_SLUGS } from '../../src/modules/doctors/reference.ts';
import { type AutocannonJob, type AutocannonResult, n0 } from '../lib.ts';
import { type ScenarioRecord, statusText, unexpected } from '../outcome.ts';
import { baseEnv, freePort, startChild, stopChild, waitReady } from '../processes.ts';
import type { ScenarioContext, ScenarioRun } from './context.ts';

/** read-slots' paths: one per doctor, a 3-day window from tomorrow 00:00 UTC. */
export function slotReadPaths(doctors: ScenarioContext['doctors'], count: number): string[] {
  const tomorrow = new Date(`${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}T00:00:00.000Z`);
  const readFrom = tomorrow.toISOString();
  const readTo = new Date(tomorrow.getTime() + 3 * 86_400_000).toISOString();
  return doctors.slice(0, count).map((d) => `/api/v1/doctors/${d.id}/slots?from=${readFrom}&to=${readTo}`);
}

/** GETs `paths` round-robin for the scenario's duration and records the driver's numbers. */
async function readLoad(
  { env, size }: ScenarioContext,
  record: ScenarioRecord,
  load: { baseUrl: string; connections: number; seconds: number; paths: string[] },
): Promise<AutocannonResult> {
  const r = await env.drive<AutocannonResult>(record.name, {
    kind: 'autocannon',
    name: record.name,
    baseUrl: load.baseUrl,
    connections: load.connections,
    seconds: load.seconds,
    warmupSeconds: size.warmupSeconds,
    paths: load.paths,
  } satisfies AutocannonJob);
  Object.assign(record, { detail: r, rps: r.rps, latency: r.latency });
  return r;
}

export const ceilingHttp: ScenarioRun = async (ctx, record) => {
  const { env, size, readPaths } = ctx;
  const res = await fetch(`${env.baseUrl}${readPaths[0]}`);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`read-slots answered ${res.status}: ${body.slice(0, 300)}`);
  const items = (JSON.parse(body) as { items?: unknown[] }).items?.length ?? 0;
  const bodyFile = path.join(env.runDir, 'read-slots-body.json');
  await writeFile(bodyFile, body);
  const barePort = await freePort();
  const bareLog = path.join(env.logDir, 'bare-server.log');
  env.bare = startChild(
    ['bench/bare-server.ts'],
    { ...baseEnv(), BENCH_BARE_PORT: String(barePort), BENCH_BARE_BODY_FILE: bodyFile },
    bareLog,
  );
  await waitReady(`http://127.0.0.1:${barePort}${readPaths[0]}`, env.bare, bareLog);
  const r = await readLoad(ctx, record, {
    baseUrl: `http://127.0.0.1:${barePort}`,
    connections: size.readConnections,
    seconds: size.readSeconds,
    paths: readPaths,
  });
  await stopChild(env.bare, 5_000);
  env.bare = undefined;
  record.detail = { ...r, bodyBytes: Buffer.byteLength(body), items };
  record.notes.push(
    `bare Fastify, body ${n0(Buffer.byteLength(body))} B (${items} slots), ${size.readConnections} conns`,
    statusText(r.statuses),
  );
  if (r.errors) record.notes.push(`${r.errors} socket errors`);
};

export const readSlots: ScenarioRun = async (ctx, record) => {
  const { env, size, readPaths } = ctx;
  const r = await readLoad(ctx, record, {
    baseUrl: env.baseUrl,
    connections: size.readConnections,
    seconds: size.readSeconds,
    paths: readPaths,
  });
  record.notes.push(
    `${readPaths.length} doctors, 3 days, ${size.readConnections} conns`,
    statusText(r.statuses),
  );
  unexpected(record, r.statuses, ['200'], r.errors);
};

export const search: ScenarioRun = async (ctx, record) => {
  const { env, size, doctors } = ctx;
  const surnames = [...new Set(doctors.map((d) => d.name.split(' ').at(-1)!))];
  const paths: string[] = [];
  for (let i = 0; i < SPECIALIZATION_SLUGS.length * 4 * 10; i++) {
    const slug = SPECIALIZATION_SLUGS[i % SPECIALIZATION_SLUGS.length]!;
    const q = i % 4 === 3 ? `&q=${encodeURIComponent(surnames[i % surnames.length]!)}` : '';
    paths.push(`/api/v1/doctors?specialization=${slug}&limit=20${q}`);
  }
  const r = await readLoad(ctx, record, {
    baseUrl: env.baseUrl,
    connections: size.searchConnections,
    seconds: size.searchSeconds,
    paths,
  });
  record.notes.push(
    `${n0(doctors.length)} doctors, 14 specializations, every 4th with q=surname, ${size.searchConnections} conns`,
    statusText(r.statuses),
  );
  unexpected(record, r.statuses, ['200'], r.errors);
};
