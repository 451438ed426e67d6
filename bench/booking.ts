/**
 * npm run bench:booking — booking throughput and latency against a real server process on the
 * local PostgreSQL + Redis (a fresh database, dropped afterwards).
 *   (a) many patients booking distinct slots, 64 requests in flight;
 *   (b) 1,000 concurrent requests for one slot (exactly one may win).
 * Latencies are measured per request by this driver (exact percentiles, p95 included).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTokenService } from '../src/modules/auth/tokens.ts';
import { systemClock } from '../src/platform/clock.ts';
import { loadSigningKey } from '../src/platform/keys.ts';

const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const DISTINCT = Number(process.env.BENCH_DISTINCT ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ONE_SLOT = Number(process.env.BENCH_ONE_SLOT ?? 1000);
const PORT = 3917;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function summary(name: string, latencies: number[], elapsedMs: number, statuses: Map<number, number>) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const rows = {
    scenario: name,
    requests: latencies.length,
    seconds: (elapsedMs / 1000).toFixed(2),
    'req/s': (latencies.length / (elapsedMs / 1000)).toFixed(0),
    'p50 ms': percentile(sorted, 50).toFixed(1),
    'p95 ms': percentile(sorted, 95).toFixed(1),
    'p99 ms': percentile(sorted, 99).toFixed(1),
    statuses: [...statuses].map(([s, n]) => `${s}×${n}`).join(' '),
  };
  console.log(JSON.stringify(rows));
  return rows;
}

async function main() {
  const dbName = `amrutam_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-bench-'));
  const node = path.resolve(import.meta.dirname, '../node_modules/.bin/node');
  const nodeArgs = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const server = spawn(node, [...nodeArgs, path.resolve(import.meta.dirname, '../src/server.ts')], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: dbUrl.toString(),
      DATABASE_POOL_MAX: '20',
      REDIS_URL,
      REDIS_KEY_PREFIX: `bench${Date.now()}:`,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '100000000',
      AUTH_RATE_LIMIT_PER_MINUTE: '100000000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const db = new pg.Client({ connectionString: dbUrl.toString() });
  try {
    for (let i = 0; ; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${PORT}/readyz`);
        if (res.ok) break;
      } catch {}
      if (i > 300) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await db.connect();
    const doctor = (
      await db.query(
        `INSERT INTO users (email, password_hash, role, name) VALUES ('bench-doc@example.test', 'x', 'doctor', 'Bench Doctor') RETURNING id`,
      )
    ).rows[0].id as string;
    await db.query(
      `INSERT INTO doctors (user_id, registration_number, council, fee_minor, modes, timezone, verification_status)
       VALUES ($1, 'R-1', 'NCISM', 50000, ARRAY['video'], 'Asia/Kolkata', 'verified')`,
      [doctor],
    );
    const start = Date.now() + 2 * 86_400_000;
    const slots = (
      await db.query(
        `INSERT INTO slots (doctor_id, starts_at, ends_at, mode, source)
         SELECT $1, to_timestamp($2 / 1000.0) + (i * interval '31 minutes'), to_timestamp($2 / 1000.0) + (i * interval '31 minutes') + interval '30 minutes', 'video', 'manual'
         FROM generate_series(0, $3 + 1) i RETURNING id`,
        [doctor, start, DISTINCT],
      )
    ).rows.map((r) => r.id as string);
    const patients = (
      await db.query(
        `INSERT INTO users (email, password_hash, role, name)
         SELECT 'bench-p' || i || '@example.test', 'x', 'patient', 'P' || i FROM generate_series(1, $1) i RETURNING id`,
        [DISTINCT + ONE_SLOT],
      )
    ).rows.map((r) => r.id as string);
    const key = await loadSigningKey({ privateKeyPem: undefined, publicKeyPem: undefined }, dataDir);
    const tokens = createTokenService(key, systemClock, { issuer: 'amrutam', accessTtlSeconds: 3600 });
    const bearer = await Promise.all(
      patients.map((id) => tokens.issueAccessToken({ id, role: 'patient' }, id, false)),
    );

    const book = (agent: Agent, token: string, slotId: string) =>
      new Promise<{ status: number; ms: number }>((resolve, reject) => {
        const body = JSON.stringify({ slotId });
        const t0 = performance.now();
        const req = request(
          {
            agent,
            host: '127.0.0.1',
            port: PORT,
            method: 'POST',
            path: '/api/v1/appointments',
            headers: {
              authorization: `Bearer ${token}`,
              'idempotency-key': randomUUID(),
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });

    // Warm-up: JIT, pools, prepared plans.
    const warm = new Agent({ keepAlive: true, maxSockets: 8 });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => book(warm, bearer[DISTINCT + i]!, slots[DISTINCT]!)),
    );
    warm.destroy();

    // (a) distinct slots
    const agentA = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const latA: number[] = [];
    const statusA = new Map<number, number>();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < DISTINCT; i = next++) {
          const r = await book(agentA, bearer[i]!, slots[i]!);
          latA.push(r.ms);
          statusA.set(r.status, (statusA.get(r.status) ?? 0) + 1);
        }
      }),
    );
    const a = summary(
      `(a) ${DISTINCT} patients, distinct slots, ${CONCURRENCY} in flight`,
      latA,
      performance.now() - t0,
      statusA,
    );
    agentA.destroy();

    // (b) one slot, everyone at once
    const target = slots[DISTINCT + 1]!;
    const agentB = new Agent({ keepAlive: true, maxSockets: ONE_SLOT });
    const latB: number[] = [];
    const statusB = new Map<number, number>();
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: ONE_SLOT }, async (_, i) => {
        const r = await book(agentB, bearer[DISTINCT + i]!, target);
        latB.push(r.ms);
        statusB.set(r.status, (statusB.get(r.status) ?? 0) + 1);
      }),
    );
    const b = summary(`(b) ${ONE_SLOT} concurrent requests, one slot`, latB, performance.now() - t1, statusB);
    agentB.destroy();

    const active = (
      await db.query(
        `SELECT count(*)::int AS n FROM appointments WHERE slot_id = $1 AND status IN ('pending_payment','confirmed')`,
        [target],
      )
    ).rows[0].n;
    if (active !== 1 || statusB.get(201) !== 1)
      throw new Error(`one-slot scenario: ${active} active appointments, ${statusB.get(201)} × 201`);
    if ((statusA.get(201) ?? 0) !== DISTINCT)
      throw new Error('distinct-slot scenario: not every booking succeeded');
    console.table([a, b]);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await db.end().catch(() => {});
    const cleanup = new pg.Client({ connectionString: ADMIN_URL });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await cleanup.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
