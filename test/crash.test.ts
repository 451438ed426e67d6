import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      IDEMPOTENCY_LEASE_SECONDS: '1',
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
    await new Promise((r) => setTimeout(r, 1100)); // leases of the requests that died have lapsed
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
      const stuck = await client.query(
        `SELECT count(*)::int AS n FROM idempotency_keys WHERE state = 'in_progress'`,
      );
      expect(stuck.rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });
});
