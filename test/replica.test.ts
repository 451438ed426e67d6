import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';
import { type Cluster, clustersUnavailable, startCluster, startReplica } from './helpers/pg-cluster.ts';

// DATABASE_REPLICA_URL against a real streaming replica (pg_basebackup -R) of a throwaway cluster:
// public reads go to the replica; a user's reads right after their write, and a doctor's right
// after a change, go to the primary; a replica further behind than the pin, or down, is not read.
if (clustersUnavailable) console.warn(`replica tests skipped: ${clustersUnavailable}`);
const suite = clustersUnavailable ? describe.skip : describe;

suite('read replica', () => {
  let primary: Cluster;
  let replica: Cluster;
  let t: TestApp;
  let admin: Account;
  let replicaDb: Kysely<unknown>;
  let primaryDb: Kysely<unknown>;
  const connect = (url: string) =>
    new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
    });

  beforeAll(async () => {
    primary = await startCluster();
    const setup = connect(primary.url('postgres'));
    await sql`CREATE DATABASE amrutam`.execute(setup);
    await setup.destroy();
    replica = await startReplica(primary);
    t = await startTestApp({
      captureLogs: true,
      env: {
        DATABASE_URL: primary.url('amrutam'),
        DATABASE_REPLICA_URL: replica.url('amrutam'),
        REPLICA_PIN_SECONDS: '1',
      },
    });
    admin = await signUp(t, 'admin');
    replicaDb = connect(replica.url('amrutam'));
    primaryDb = connect(primary.url('amrutam'));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await replicaDb?.destroy();
    await primaryDb?.destroy();
    await replica?.destroy();
    await primary?.destroy();
  });

  const bioOnReplica = async (id: string) =>
    (await sql<{ bio: string }>`SELECT bio FROM doctors WHERE user_id = ${id}`.execute(replicaDb)).rows[0]
      ?.bio;
  const until = async (check: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  let probe = 0;
  /** A search no answer was cached for (the limit makes the cache key), as `who` (or anonymous). */
  const searchBio = async (doctorId: string, who?: Account) => {
    probe += 1;
    const res = await t.inject({
      method: 'GET',
      url: `/api/v1/doctors?limit=${(probe % 99) + 1}&sort=fee`,
      headers: who ? bearer(who.accessToken) : {},
    });
    return (res.json().items as Array<{ id: string; bio: string }>).find((d) => d.id === doctorId)?.bio;
  };
  const fallbacks = async (reason: string) =>
    (await t.platform.metrics.registry.getSingleMetric('db_replica_fallbacks_total')?.get())?.values.find(
      (v) => v.labels.reason === reason,
    )?.value ?? 0;

  it('public reads come from the replica; a user’s own reads right after their write from the primary', async () => {
    const { doctor } = await bookingKit(t, admin).doctorWithSlots(1);
    await until(
      async () => (await bioOnReplica(doctor.id)) === 'Ayurveda physician',
      'the replica to catch up',
    );
    t.clock.advance(2_000); // past the pins the doctor's own writes set

    await sql`SELECT pg_wal_replay_pause()`.execute(replicaDb);
    // A change nobody on this instance was told of: only the primary has it.
    await sql`UPDATE doctors SET bio = 'changed on the primary' WHERE user_id = ${doctor.id}`.execute(
      primaryDb,
    );
    expect(await searchBio(doctor.id)).toBe('Ayurveda physician'); // the replica's answer

    const patient = await signUp(t);
    const res = await t.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: bearer(patient.accessToken),
      payload: { name: 'Meera Iyer' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await searchBio(doctor.id, patient)).toBe('changed on the primary'); // pinned: the primary
    expect(await searchBio(doctor.id)).toBe('Ayurveda physician'); // others: still the replica

    // A second later (real time: replication lag is), the replica still hasn't replayed what the
    // primary had then: it is not read.
    t.clock.advance(2_000);
    await until(
      async () => (await searchBio(doctor.id)) === 'changed on the primary',
      'lagging to be noticed',
    );
    expect(await fallbacks('lagging')).toBeGreaterThan(0);
    expect(t.logs.join('')).toContain('read replica lagging');

    await sql`SELECT pg_wal_replay_resume()`.execute(replicaDb);
    await until(async () => (await bioOnReplica(doctor.id)) === 'changed on the primary', 'replay');
    await until(async () => t.logs.join('').includes('read replica back in use'), 'the replica back in use');
  });

  it('a doctor’s change is read back at once although the replica hasn’t replayed it', async () => {
    const kit = bookingKit(t, admin);
    const { doctor, slots } = await kit.doctorWithSlots(1);
    await until(
      async () =>
        (
          await sql<{
            n: number;
          }>`SELECT count(*)::int AS n FROM slots WHERE doctor_id = ${doctor.id}`.execute(replicaDb)
        ).rows[0]!.n === 1,
      'the replica to have the slot',
    );
    await sql`SELECT pg_wal_replay_pause()`.execute(replicaDb);
    try {
      const at = new Date(Date.parse(slots[0]!.startsAt) + 3_600_000);
      const added = await kit.call(
        doctor.accessToken,
        'POST',
        '/doctors/me/slots',
        {
          slots: [
            {
              startsAt: at.toISOString(),
              endsAt: new Date(at.getTime() + 1_800_000).toISOString(),
              mode: 'video',
            },
          ],
        },
        null,
      );
      expect(added.statusCode, added.body).toBe(201);
      const listed = await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/slots` });
      expect(listed.json().items).toHaveLength(2);
    } finally {
      await sql`SELECT pg_wal_replay_resume()`.execute(replicaDb);
    }
  });

  it('a replica that is down is not read: the primary answers, with a metric and a log line', async () => {
    const before = await fallbacks('failed');
    await replicaDb.destroy();
    await replica.stop();
    try {
      const { doctor } = await bookingKit(t, admin).doctorWithSlots(1);
      t.clock.advance(2_000);
      expect(await searchBio(doctor.id)).toBe('Ayurveda physician');
      expect((await fallbacks('failed')) + (await fallbacks('down'))).toBeGreaterThan(before);
      expect(t.logs.join('')).toContain('read replica down');
    } finally {
      await replica.start();
      replicaDb = connect(replica.url('amrutam'));
    }
  });
});
