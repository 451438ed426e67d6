import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenService } from '../src/modules/auth/tokens.ts';
import { systemClock } from '../src/platform/clock.ts';
import { loadSigningKey } from '../src/platform/keys.ts';
import { freePort, run, waitForReady } from './helpers/process.ts';
import { createTestDatabase, REDIS_URL, uniqueName } from './helpers/services.ts';

// Real processes, killed with SIGKILL mid-traffic: whatever point each request had reached
// (before commit, between commit and response, after), retries with the same keys after a
// restart must give one consistent story and the invariants must hold.
describe('crash recovery', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  let env: Record<string, string>;
  let base: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-crash-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `${uniqueName('crash')}:`,
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_PER_MINUTE: '100000',
      BOOTSTRAP_ADMIN_EMAIL: 'ops@example.test',
      BOOTSTRAP_ADMIN_PASSWORD: 'operator-password',
    };
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await db.drop();
  });

  const json = async (res: Response) => ({
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    replayed: res.headers.get('idempotent-replayed'),
  });
  const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('SIGKILL during a burst of bookings: after restart every key gives one answer and no slot is double-booked', {
    timeout: 120_000,
  }, async () => {
    let server = run('src/server.ts', [], env);
    await waitForReady(`${base}/readyz`, server);
    // A verified doctor with 10 slots, and 40 patients.
    const admin = await json(
      await postJson('/api/v1/auth/login', { email: 'ops@example.test', password: 'operator-password' }),
    );
    const adminToken = String(admin.body.accessToken);
    const doctor = await json(
      await postJson('/api/v1/auth/register', {
        email: 'crash-doc@example.test',
        password: 'a long password',
        name: 'D',
        role: 'doctor',
      }),
    );
    const doctorToken = String(doctor.body.accessToken);
    const doctorId = (doctor.body.user as { id: string }).id;
    await fetch(`${base}/api/v1/doctors/me`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${doctorToken}` },
      body: JSON.stringify({
        registrationNumber: 'R-1',
        council: 'NCISM',
        feeMinor: 50000,
        modes: ['video'],
        timezone: 'Asia/Kolkata',
      }),
    });
    await postJson(
      `/api/v1/admin/doctors/${doctorId}/verify`,
      { status: 'verified' },
      { authorization: `Bearer ${adminToken}` },
    );
    const start = Date.now() + 3 * 86_400_000;
    const slots = (
      await json(
        await postJson(
          '/api/v1/doctors/me/slots',
          {
            slots: Array.from({ length: 10 }, (_, i) => ({
              startsAt: new Date(start + i * 3_600_000).toISOString(),
              endsAt: new Date(start + i * 3_600_000 + 1_800_000).toISOString(),
              mode: 'video',
            })),
          },
          { authorization: `Bearer ${doctorToken}` },
        ),
      )
    ).body.items as Array<{ id: string }>;
    const patients = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const r = await json(
          await postJson('/api/v1/auth/register', {
            email: `crash-p${i}@example.test`,
            password: 'a long password',
            name: `P${i}`,
          }),
        );
        return String(r.body.accessToken);
      }),
    );
    const attempts = patients.map((token, i) => ({
      token,
      key: randomUUID(),
      body: { slotId: slots[i % 10]!.id },
    }));
    const send = (a: (typeof attempts)[number]) =>
      postJson('/api/v1/appointments', a.body, {
        authorization: `Bearer ${a.token}`,
        'idempotency-key': a.key,
      }).then(json, () => null);

    // Fire, and kill the server while the burst is in flight.
    const inFlight = attempts.map(send);
    await Promise.race(inFlight); // the first answer is out: others are mid-transaction or just committed
    server.child.kill('SIGKILL');
    const before = await Promise.all(inFlight);
    await server.exit;
    expect(before.some((b) => b === null)).toBe(true); // the kill did cut requests off

    server = run('src/server.ts', [], env);
    await waitForReady(`${base}/readyz`, server);
    const after = await Promise.all(attempts.map(send));
    server.child.kill('SIGTERM');
    await server.exit;

    for (const [i, res] of after.entries()) {
      expect(res, `attempt ${i}`).not.toBeNull();
      expect([201, 409]).toContain(res!.status);
      if (res!.status === 409) expect(res!.body.code).toBe('SLOT_UNAVAILABLE');
      // An answer the client did receive before the crash is the answer it gets again.
      const first = before[i];
      if (first && (first.status === 201 || first.status === 409)) {
        expect(res!.status).toBe(first.status);
        if (first.status === 201) expect(res!.body.id).toBe(first.body.id);
      }
    }
    const winners = after.filter((r) => r!.status === 201);
    expect(new Set(winners.map((r) => r!.body.id)).size).toBe(winners.length);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const active = await client.query(
        `SELECT slot_id, count(*)::int AS n FROM appointments WHERE status IN ('pending_payment','confirmed','in_progress') GROUP BY slot_id`,
      );
      expect(active.rows.every((r) => r.n === 1)).toBe(true);
      expect(active.rows).toHaveLength(winners.length);
      const orphans = await client.query(
        `SELECT count(*)::int AS n FROM slots s WHERE s.status IN ('held','booked') AND NOT EXISTS (
           SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status IN ('pending_payment','confirmed','in_progress'))`,
      );
      expect(orphans.rows[0].n).toBe(0);
      // Every answer a client saw replays: the winners' keys are stored with their 201.
      const stored = await client.query(
        'SELECT count(*)::int AS n FROM idempotency_keys WHERE response_status = 201 AND key = ANY($1::text[])',
        [attempts.map((a) => a.key)],
      );
      expect(stored.rows[0].n).toBe(winners.length);
    } finally {
      await client.end();
    }
  });
});

describe('processes side by side and killed mid-job', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dataDir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-procs-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await db.drop();
  });

  async function envFor(extra: Record<string, string> = {}) {
    const port = await freePort();
    return {
      port,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: db.url,
        REDIS_URL,
        REDIS_KEY_PREFIX: 'procs:',
        RATE_LIMIT_PER_MINUTE: '100000',
        ...extra,
      },
    };
  }

  /** A verified doctor, `slotCount` slots from `startMs`, `patientCount` patients with tokens signed by the deployment's key. */
  async function seed(client: pg.Client, slotCount: number, patientCount: number, startMs: number) {
    const tag = randomUUID().slice(0, 8);
    const doctor = (
      await client.query(
        `INSERT INTO users (email, password_hash, role, name) VALUES ($1, 'x', 'doctor', 'D') RETURNING id`,
        [`d-${tag}@example.test`],
      )
    ).rows[0].id as string;
    await client.query(
      `INSERT INTO doctors (user_id, registration_number, council, fee_minor, modes, timezone, verification_status)
       VALUES ($1, $2, 'NCISM', 50000, ARRAY['video'], 'Asia/Kolkata', 'verified')`,
      [doctor, `R-${tag}`], // one registration per verified doctor (migration 0017)
    );
    const slots = (
      await client.query(
        `INSERT INTO slots (doctor_id, starts_at, ends_at, mode, source)
         SELECT $1, to_timestamp($2 / 1000.0) + i * interval '1 hour', to_timestamp($2 / 1000.0) + i * interval '1 hour' + interval '30 minutes', 'video', 'manual'
         FROM generate_series(0, $3 - 1) i RETURNING id`,
        [doctor, startMs, slotCount],
      )
    ).rows.map((r) => r.id as string);
    const patients = (
      await client.query(
        `INSERT INTO users (email, password_hash, role, name) SELECT 'p' || i || '-' || $2 || '@example.test', 'x', 'patient', 'P' FROM generate_series(1, $1) i RETURNING id`,
        [patientCount, tag],
      )
    ).rows.map((r) => r.id as string);
    const key = await loadSigningKey({ privateKeyPem: undefined, publicKeyPem: undefined }, dataDir);
    // Issues tokens only: no session of theirs is ever revoked.
    const tokens = createTokenService(
      key,
      systemClock,
      { issuer: 'amrutam', accessTtlSeconds: 900 },
      () => false,
    );
    return {
      doctor,
      slots,
      patients: await Promise.all(
        patients.map(async (id) => ({
          id,
          token: await tokens.issueAccessToken({ id, role: 'patient' }, id, false),
        })),
      ),
    };
  }

  it('two API processes on one database: 300 concurrent bookings of one slot → exactly one winner', {
    timeout: 120_000,
  }, async () => {
    const a = await envFor();
    const b = await envFor();
    const procA = run('src/server.ts', [], a.env);
    await waitForReady(`http://127.0.0.1:${a.port}/readyz`, procA); // migrates first
    const procB = run('src/server.ts', [], b.env);
    await waitForReady(`http://127.0.0.1:${b.port}/readyz`, procB);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { slots, patients } = await seed(client, 1, 300, Date.now() + 3 * 86_400_000);
      const results = await Promise.all(
        patients.map((p, i) =>
          fetch(`http://127.0.0.1:${i % 2 ? a.port : b.port}/api/v1/appointments`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${p.token}`,
              'idempotency-key': randomUUID(),
            },
            body: JSON.stringify({ slotId: slots[0] }),
          }).then((r) => r.status),
        ),
      );
      expect(results.filter((s) => s === 201)).toHaveLength(1);
      expect(results.filter((s) => s === 409)).toHaveLength(299);
    } finally {
      await client.end();
      procA.child.kill('SIGTERM');
      procB.child.kill('SIGTERM');
      await Promise.all([procA.exit, procB.exit]);
    }
  });

  it('SIGKILL while holds are expiring: after restart every lapsed hold is expired exactly once', {
    timeout: 120_000,
  }, async () => {
    const { port, env } = await envFor({ RUN_JOBS: 'true' });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { slots, patients } = await seed(client, 300, 300, Date.now() + 5 * 86_400_000);
      // 300 holds that lapsed a minute ago, as if the server had been down.
      await client.query(
        `WITH held AS (UPDATE slots SET status = 'held', held_until = now() - interval '1 minute' WHERE id = ANY($1::uuid[]) RETURNING id, doctor_id, starts_at, ends_at)
         INSERT INTO appointments (slot_id, doctor_id, patient_id, starts_at, ends_at, booked_starts_at, mode, status, hold_expires_at, fee_minor, currency, created_at, updated_at)
         SELECT h.id, h.doctor_id, ($2::uuid[])[row_number() OVER ()], h.starts_at, h.ends_at, h.starts_at, 'video', 'pending_payment', now() - interval '1 minute', 50000, 'INR', now(), now()
         FROM held h`,
        [slots, patients.map((p) => p.id)],
      );
      let server = run('src/server.ts', [], env);
      await waitForReady(`http://127.0.0.1:${port}/readyz`, server);
      // The expiry job starts about a second after boot; kill it around then, wherever it is.
      await new Promise((r) => setTimeout(r, 1100));
      server.child.kill('SIGKILL');
      await server.exit;
      server = run('src/server.ts', [], env);
      await waitForReady(`http://127.0.0.1:${port}/readyz`, server);
      for (let i = 0; i < 100; i++) {
        const left = await client.query(
          `SELECT count(*)::int AS n FROM appointments WHERE status = 'pending_payment' AND slot_id = ANY($1::uuid[])`,
          [slots],
        );
        if (left.rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      server.child.kill('SIGTERM');
      await server.exit;
      const states = await client.query(
        `SELECT status, count(*)::int AS n FROM appointments WHERE slot_id = ANY($1::uuid[]) GROUP BY status`,
        [slots],
      );
      expect(states.rows).toEqual([{ status: 'expired', n: 300 }]);
      const open = await client.query(
        `SELECT count(*)::int AS n FROM slots WHERE id = ANY($1::uuid[]) AND status = 'open'`,
        [slots],
      );
      expect(open.rows[0].n).toBe(300);
      const audits = await client.query(
        `SELECT entity_id, count(*)::int AS n FROM audit_logs WHERE action = 'appointment.expired' GROUP BY entity_id HAVING count(*) <> 1`,
      );
      expect(audits.rows).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
