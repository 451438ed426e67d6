import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { envSchema } from './config-env.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('config', () => {
  it('defaults to embedded mode with documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      env: 'development',
      port: 3000,
      databaseUrl: undefined,
      redisUrl: undefined,
      paymentProvider: 'sandbox',
      bookingHoldSeconds: 600,
      rateLimit: { perMinute: 600, authPerMinute: 30 },
      runJobs: true,
      migrateOnStart: true,
    });
    expect(c.dataDir).toMatch(/\.data$/);
  });

  it('with PostgreSQL and Redis, the API still runs the jobs unless RUN_JOBS=false; migrations run at start unless turned off', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://h:6379' });
    expect(c).toMatchObject({ runJobs: true, migrateOnStart: true });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', RUN_JOBS: 'false' }).runJobs).toBe(false);
    expect(loadConfig({ MIGRATE_ON_START: 'false' }).migrateOnStart).toBe(false);
  });

  it('names every bad variable', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      REDIS_URL: 'nope',
      LOG_LEVEL: 'loud',
      BOOKING_HOLD_SECONDS: '-1',
      MFA_REQUIRED_ROLES: 'doctor,superuser',
      TRUST_PROXY: 'maybe',
      BOOTSTRAP_ADMIN_EMAIL: 'not-an-email',
    });
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'REDIS_URL',
      'LOG_LEVEL',
      'BOOKING_HOLD_SECONDS',
      'MFA_REQUIRED_ROLES',
      'TRUST_PROXY',
      'BOOTSTRAP_ADMIN_EMAIL',
    ]) {
      expect(
        problems.some((p) => p.startsWith(name)),
        name,
      ).toBe(true);
    }
  });

  it('production refuses to start without signing and encryption keys, a webhook secret, SMTP, or with the sandbox', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.some((p) => p.startsWith('SMTP_URL'))).toBe(true);
    expect(problems.some((p) => p.startsWith('JWT_PRIVATE_KEY'))).toBe(true);
    expect(problems.some((p) => p.startsWith('PHI_ENCRYPTION_KEYS'))).toBe(true);
    expect(problems.some((p) => p.startsWith('PAYMENT_WEBHOOK_SECRET'))).toBe(true);
    // PAYMENT_PROVIDER defaults to the sandbox, which would let patients confirm their own bookings.
    expect(problems.some((p) => p.startsWith('PAYMENT_PROVIDER'))).toBe(true);
  });

  it('mail: SMTP_URL is smtp:// or smtps://; PUBLIC_URL loses its trailing slash', () => {
    expect(problemsOf({ SMTP_URL: 'http://mail.example' }).some((p) => p.startsWith('SMTP_URL'))).toBe(true);
    const c = loadConfig({
      SMTP_URL: 'smtps://u:p@mail.example:465',
      PUBLIC_URL: 'https://amrutam.example/',
    });
    expect(c.mail.smtpUrl).toBe('smtps://u:p@mail.example:465');
    expect(c.publicUrl).toBe('https://amrutam.example');
    expect(loadConfig({}).passwordReset).toEqual({ ttlMinutes: 30, mailsPerHour: 3 });
  });

  it('has no default webhook secret', () => {
    expect(loadConfig({}).payments.webhookSecret).toBeUndefined();
  });

  it('TRUST_PROXY: true/false, a hop count, or proxy addresses and CIDR ranges', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1' }).trustProxy).toBe(
      '10.0.0.0/8,192.168.1.7,::1',
    );
    for (const bad of ['maybe', '10.0.0.0/99', '300.1.1.1', '10.0.0.0/8,nope']) {
      expect(
        problemsOf({ TRUST_PROXY: bad }).some((p) => p.startsWith('TRUST_PROXY')),
        bad,
      ).toBe(true);
    }
  });

  it('pairs must be set together', () => {
    expect(problemsOf({ JWT_PRIVATE_KEY: 'x' })[0]).toMatch(/^JWT_PRIVATE_KEY\/JWT_PUBLIC_KEY/);
    expect(problemsOf({ BOOTSTRAP_ADMIN_EMAIL: 'a@b.co' })[0]).toMatch(/^BOOTSTRAP_ADMIN_EMAIL/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).databaseUrl).toBeUndefined();
  });
});

describe('.env.example', () => {
  it('documents exactly the variables the product reads', async () => {
    const { readFile } = await import('node:fs/promises');
    const example = await readFile(new URL('../.env.example', import.meta.url), 'utf8');
    const documented = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(envSchema.shape).sort());
  });
});
