import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createPlatform, type Platform } from '../../src/platform/platform.ts';
import type { Services } from '../../src/services.ts';
import { undocumentedAnswers } from './documented.ts';
import { createTestDatabase, REDIS_URL, uniqueName } from './services.ts';

export interface TestApp {
  app: FastifyInstance;
  platform: Platform;
  services: Services;
  clock: ManualClock;
  /** Every log line the app wrote (when captureLogs is on). */
  logs: string[];
  startDraining(): void;
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  mode?: 'postgres' | 'embedded';
  env?: Record<string, string>;
  captureLogs?: boolean;
  clockStart?: string;
  /** A second API instance on the same PostgreSQL database and Redis prefix (postgres mode). */
  shareWith?: TestApp;
  /** Tracing on, into this exporter (log lines then carry trace ids too). */
  spanExporter?: SpanExporter;
}

/**
 * A whole app on real services: its own PostgreSQL database and Redis key prefix (postgres
 * mode), or an in-memory PGlite and in-process adapters (embedded mode). Time is a ManualClock.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const mode = options.mode ?? 'postgres';
  // Instances of one deployment share their keys (DATA_DIR holds them in development).
  const dataDir =
    options.shareWith?.platform.config.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'amrutam-test-')));
  const shared = options.shareWith?.platform.config;
  const database = mode === 'postgres' && !shared ? await createTestDatabase() : undefined;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: options.captureLogs ? 'trace' : 'silent',
    MIGRATE_ON_START: 'true',
    // Tests sign up many users from one address; the rate-limit tests set their own limits.
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_PER_MINUTE: '100000',
    ...(database ? { DATABASE_URL: database.url, REDIS_URL, REDIS_KEY_PREFIX: `${uniqueName('t')}:` } : {}),
    ...(shared?.databaseUrl
      ? { DATABASE_URL: shared.databaseUrl, REDIS_URL, REDIS_KEY_PREFIX: shared.redisKeyPrefix }
      : {}),
    ...options.env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const clock = options.shareWith?.clock ?? new ManualClock(options.clockStart ?? new Date().toISOString());
  const platform = await createPlatform(config, {
    clock,
    logger: createLogger(config.logLevel, sink, options.spanExporter !== undefined),
    inMemoryDb: mode === 'embedded',
    ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}),
  });
  const { app, services, startDraining } = await buildApp(platform);
  await app.ready();
  return {
    app,
    platform,
    services,
    clock,
    logs,
    startDraining,
    inject: (o) => app.inject(o),
    async close() {
      // Whatever this app answered must be in its OpenAPI document (see documented.ts).
      const undocumented = await undocumentedAnswers(app, platform.metrics);
      await app.close();
      await platform.close();
      await database?.drop();
      if (!options.shareWith) await rm(dataDir, { recursive: true, force: true });
      if (undocumented.length > 0) {
        throw new Error(`Answers the OpenAPI document does not declare:\n${undocumented.join('\n')}`);
      }
    },
  };
}

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

let counter = 0;

/** Registers a patient or doctor, or creates an admin the operator way, and signs in. */
export async function signUp(t: TestApp, role: 'patient' | 'doctor' | 'admin' = 'patient'): Promise<Account> {
  counter += 1;
  const email = `${role}${counter}.${uniqueName('u')}@example.test`;
  const password = `pw-${uniqueName('secret')}`;
  if (role === 'admin') {
    await t.services.auth.ensureAdmin({ email, password, name: 'Admin' });
  } else {
    const res = await t.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password, name: `Test ${role}`, role },
    });
    if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  }
  t.clock.advance(1); // distinct instants keep audit order deterministic under the still test clock
  const login = await t.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
  const body = login.json();
  return {
    id: body.user.id,
    email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A new access token at the test clock's current time (tests move the clock past expiries). */
export async function freshToken(t: TestApp, account: Account): Promise<string> {
  const res = await t.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: account.email, password: account.password },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json().accessToken;
}

export interface DoctorProfile {
  registrationNumber?: string | null;
  council?: string | null;
  specializations?: string[];
  languages?: string[];
  feeMinor?: number;
  modes?: string[];
  bio?: string;
  timezone?: string;
  experienceYears?: number;
}

/** The profile every test doctor has unless told otherwise (all but its registration number). */
export const DOCTOR_PROFILE = {
  council: 'NCISM',
  specializations: ['kayachikitsa'],
  languages: ['hi', 'en'],
  feeMinor: 50000,
  modes: ['video', 'audio', 'chat'],
  bio: 'Ayurveda physician',
  timezone: 'Asia/Kolkata',
  experienceYears: 10,
};

/** A doctor with a profile, verified by `admin` unless `verified` is false. */
export async function createDoctor(
  t: TestApp,
  admin: Account,
  profile: DoctorProfile = {},
  verified = true,
): Promise<Account> {
  const doctor = await signUp(t, 'doctor');
  const res = await t.inject({
    method: 'PUT',
    url: '/api/v1/doctors/me',
    headers: bearer(doctor.accessToken),
    payload: {
      // Each verified doctor holds their own (migration 0017).
      registrationNumber: uniqueName('NCISM'),
      ...DOCTOR_PROFILE,
      ...profile,
    },
  });
  if (res.statusCode !== 200) throw new Error(`profile failed: ${res.statusCode} ${res.body}`);
  if (verified) {
    const v = await t.inject({
      method: 'POST',
      url: `/api/v1/admin/doctors/${doctor.id}/verify`,
      headers: bearer(await freshToken(t, admin)),
      payload: { status: 'verified' },
    });
    if (v.statusCode !== 200) throw new Error(`verify failed: ${v.statusCode} ${v.body}`);
  }
  return doctor;
}

/**
 * Many patients at once, without paying argon2 for each: rows inserted directly, tokens minted
 * by the app's own token service (what login would return).
 */
export async function quickPatients(
  t: TestApp,
  n: number,
): Promise<Array<{ id: string; accessToken: string }>> {
  const prefix = uniqueName('qp');
  const rows = await t.platform.db
    .insertInto('users')
    .values(
      Array.from({ length: n }, (_, i) => ({
        email: `${prefix}.${i}@example.test`,
        password_hash: 'not-a-login-account',
        role: 'patient' as const,
        name: `Patient ${i}`,
        phone: null,
        mfa_secret: null,
        mfa_pending_secret: null,
        mfa_last_step: null,
        updated_at: t.clock.now(),
      })),
    )
    .returning('id')
    .execute();
  return Promise.all(
    rows.map(async ({ id }) => ({
      id,
      accessToken: await t.services.tokens.issueAccessToken({ id, role: 'patient' }, id, false),
    })),
  );
}
