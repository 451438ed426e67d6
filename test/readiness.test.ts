import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/logger.ts';
import { createPlatform } from '../src/platform/platform.ts';
import { startTestApp } from './helpers/app.ts';
import { freePort } from './helpers/process.ts';

describe('readiness when a dependency is down', () => {
  it('/readyz → 503 with Retry-After while PostgreSQL is unreachable; /healthz stays 200', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-ready-'));
    const port = await freePort(); // nothing listens there
    // The database went away after start (migrations ran then), so there is nothing to migrate now.
    const config = loadConfig({
      DATA_DIR: dataDir,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/none`,
      LOG_LEVEL: 'silent',
      MIGRATE_ON_START: 'false',
    });
    const platform = await createPlatform(config, { logger: createLogger('silent') });
    const { app, services } = await buildApp(platform);
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBe('5');
      expect(ready.json().checks.database).toMatch(/^down/);
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      // A request that needs the database answers 503 problem+json, not 500.
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'a@b.co', password: 'whatever pw' },
      });
      expect(login.statusCode).toBe(503);
      expect(login.json().code).toBe('SERVICE_UNAVAILABLE');
      expect(login.headers['retry-after']).toBe('5');
      // Which sessions ended can't be read either: signed-in requests fail closed, with 503.
      const id = '00000000-0000-4000-8000-000000000001';
      const token = await services.tokens.issueAccessToken({ id, role: 'patient' }, id, false);
      const me = await app.inject({
        method: 'GET',
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(me.statusCode).toBe(503);
      expect(me.json().code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await app.close();
      await platform.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('/readyz → 503 when Redis drops; requests keep working without rate limiting', async () => {
    const t = await startTestApp();
    try {
      t.platform.kv.redis!.disconnect();
      const ready = await t.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.redis).toMatch(/^down/);
      const register = await t.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: 'redis-down@example.test', password: 'long enough pw', name: 'R' },
      });
      expect(register.statusCode).toBe(201);
    } finally {
      await t.close();
    }
  });

  it('/readyz → 503 while draining for shutdown, and responses close their connections', async () => {
    const t = await startTestApp({ mode: 'embedded' });
    try {
      expect((await t.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      t.startDraining();
      const ready = await t.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.shutdown).toBe('draining');
      expect(ready.headers.connection).toBe('close');
    } finally {
      await t.close();
    }
  });
});
