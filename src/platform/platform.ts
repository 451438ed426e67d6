import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { Config } from '../config.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { type Clock, systemClock } from './clock.ts';
import { type Cipher, loadCipher } from './crypto.ts';
import { createEmbeddedDb, createPostgresDb, type Db, type DbMode } from './db/index.ts';
import { ensurePartitions } from './db/partitions.ts';
import { createReadRouter, primaryOnly, type ReadRouter } from './db/replica.ts';
import { loadSigningKey, type SigningKey } from './keys.ts';
import type { Kv } from './kv.ts';
import { createLogger } from './logger.ts';
import { createMemoryKv } from './memory.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createRedisKv } from './redis.ts';
import { readOrCreateSecretFile } from './secret-files.ts';
import { createTracing, type Tracing } from './tracing.ts';

/** Everything infrastructural the modules use, built once per process (or per test). */
export interface Platform {
  config: Config;
  db: Db;
  dbMode: DbMode;
  /** The embedded database itself (embedded mode only): backups snapshot its data directory. */
  pglite: PGlite | undefined;
  kv: Kv;
  clock: Clock;
  logger: Logger;
  cipher: Cipher;
  signingKey: SigningKey;
  /** Signs payment webhooks: PAYMENT_WEBHOOK_SECRET, or (sandbox, development) one generated into DATA_DIR. */
  webhookSecret: string;
  /** Signs video-room join tokens: the provider's secret, or (Jitsi, development) one generated into DATA_DIR. */
  videoSecret: string;
  metrics: Metrics;
  /** OpenTelemetry (OTEL_EXPORTER_OTLP_ENDPOINT); null when off, and then nothing is traced. */
  tracing: Tracing | null;
  /** Reads that may go to the read replica (DATABASE_REPLICA_URL), with read-your-writes pins. */
  reads: ReadRouter;
  close(): Promise<void>;
}

export interface PlatformOverrides {
  clock?: Clock;
  logger?: Logger;
  /** Embedded mode only: keep the database in memory (tests). */
  inMemoryDb?: boolean;
  /** Tracing on, into this exporter (tests), whatever the configuration says. */
  spanExporter?: SpanExporter;
}

export async function createPlatform(config: Config, overrides: PlatformOverrides = {}): Promise<Platform> {
  const tracing = await createTracing(config.tracing, overrides.spanExporter);
  const logger = overrides.logger ?? createLogger(config.logLevel, undefined, tracing !== null);
  const clock = overrides.clock ?? systemClock;
  const metrics = createMetrics();

  const devSecret = (file: string) =>
    readOrCreateSecretFile(path.join(config.dataDir, file), () => randomBytes(32).toString('base64url'));
  const [cipher, signingKey, webhookSecret, videoSecret] = await Promise.all([
    loadCipher(config.phiEncryptionKeys, config.dataDir),
    loadSigningKey(
      { privateKeyPem: config.jwt.privateKeyPem, publicKeyPem: config.jwt.publicKeyPem },
      config.dataDir,
    ),
    config.payments.webhookSecret ?? devSecret('webhook-secret'),
    config.video.secret ?? devSecret('jitsi-secret'),
  ]);

  let db: Db;
  let dbMode: DbMode;
  let releaseDataDir = async () => {};
  let pglite: PGlite | undefined;
  if (config.databaseUrl) {
    const postgres = createPostgresDb(config.databaseUrl, config.databasePoolMax, tracing);
    db = postgres.db;
    dbMode = 'postgres';
    const { pool } = postgres;
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'] as const,
      registers: [metrics.registry],
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
        this.set({ state: 'max' }, config.databasePoolMax);
      },
    });
  } else {
    const embedded = await createEmbeddedDb(
      overrides.inMemoryDb ? undefined : path.join(config.dataDir, 'pgdata'),
      { tracing },
    );
    db = embedded.db;
    pglite = embedded.pglite;
    releaseDataDir = embedded.release;
    dbMode = 'embedded';
  }

  let kv: Kv;
  try {
    kv = config.redisUrl
      ? await createRedisKv(
          config.redisUrl,
          config.redisKeyPrefix,
          config.redisCommandTimeoutMs,
          (error) => logger.error({ err: error }, 'job queue worker error'),
          tracing,
        )
      : createMemoryKv(clock);
  } catch (error) {
    await db.destroy();
    await releaseDataDir();
    throw new Error(`REDIS_URL: cannot connect (${(error as Error).message})`);
  }

  if (config.migrateOnStart) {
    const { results } = await migrateToLatest(db);
    for (const r of results ?? []) logger.info({ migration: r.migrationName, status: r.status }, 'migration');
    // The months this clock is in and about to be in, before the first request writes to them.
    await ensurePartitions(db, clock.now()).then(
      (made) => logger.info({ made }, 'partitions ahead'),
      (error: unknown) =>
        logger.warn({ err: error }, 'partitions ahead not made at start; the maintenance job retries'),
    );
  }

  const replica = config.replica
    ? createPostgresDb(config.replica.url, config.databasePoolMax, tracing).db
    : undefined;
  const reads = replica
    ? createReadRouter({
        primary: db,
        replica,
        clock,
        logger,
        metrics,
        pinMs: config.replica!.pinSeconds * 1000,
        shared: kv.mode === 'redis' ? kv.cache : undefined,
      })
    : primaryOnly(db);

  logger.info(
    {
      database: dbMode,
      replica: replica ? 'on' : 'off',
      redis: kv.mode === 'redis' ? 'on' : 'off',
      tracing: tracing ? (config.tracing.endpoint ?? 'on') : 'off',
      runJobs: config.runJobs,
    },
    `mode: database=${dbMode} redis=${kv.mode === 'redis' ? 'on' : 'off'}${
      dbMode === 'embedded' ? ' (EMBEDDED MODE: single process, for trying and development only)' : ''
    }`,
  );

  return {
    config,
    db,
    dbMode,
    pglite,
    kv,
    clock,
    logger,
    cipher,
    signingKey,
    webhookSecret,
    videoSecret,
    metrics,
    tracing,
    reads,
    async close() {
      await reads.stop();
      await kv.close();
      await replica?.destroy();
      await db.destroy();
      await releaseDataDir();
      // Last: what the closing itself did is sent too.
      await tracing?.shutdown();
    },
  };
}
