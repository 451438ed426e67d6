import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/http/index.ts';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import { bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';

// The same product on PGlite with in-process adapters: what `npm start` runs with nothing installed.
describe('embedded mode', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ mode: 'embedded' });
  });
  afterAll(() => t.close());

  it('is ready with the in-process adapters', async () => {
    const res = await t.inject({ method: 'GET', url: '/readyz' });
    expect(res.json()).toMatchObject({
      status: 'ready',
      checks: { database: 'ok (embedded)', redis: 'off (in-process)' },
    });
  });

  it('registers 50 accounts concurrently, refusing a duplicate email exactly once each', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          remoteAddress: `10.5.${i}.1`,
          payload: { email: `same${i % 50}@example.test`, password: 'long enough pw', name: 'E' },
        }),
      ),
    );
    const codes = attempts.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(50);
    expect(codes.filter((c) => c === 409)).toHaveLength(50);
  });

  it('runs the auth flows: refresh rotation and reuse detection, MFA with single-use codes', async () => {
    const a = await signUp(t);
    const rotated = await t.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: a.refreshToken },
    });
    expect(rotated.statusCode).toBe(200);
    t.clock.advance(60_000);
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: a.refreshToken },
        })
      ).json().code,
    ).toBe('REFRESH_TOKEN_REUSED');
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: rotated.json() && { refreshToken: rotated.json().refreshToken },
        })
      ).statusCode,
    ).toBe(401);

    const b = await signUp(t);
    const { secret } = (
      await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/setup', headers: bearer(b.accessToken) })
    ).json();
    const code = totpCodeAt(secret, t.clock.now());
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/api/v1/auth/mfa/enable',
          headers: bearer(b.accessToken),
          payload: { code },
        })
      ).statusCode,
    ).toBe(200);
    const { mfaToken } = (
      await t.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: b.email, password: b.password },
      })
    ).json();
    expect(
      (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { mfaToken, code } }))
        .statusCode,
    ).toBe(401);
    t.clock.advance(30_000);
    const next = totpCodeAt(secret, t.clock.now());
    expect(
      (await t.inject({ method: 'POST', url: '/api/v1/auth/mfa/verify', payload: { mfaToken, code: next } }))
        .statusCode,
    ).toBe(200);
  });

  it('keeps the audit chain exact under concurrent appends with rollbacks', async () => {
    const { audit } = t.services;
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        t.platform.db.transaction().execute(async (tx) => {
          await audit.record(tx, SYSTEM, { action: 'embedded.append', entity: 'test', entityId: String(i) });
          if (i % 5 === 0) throw new Error('rolled back');
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(160);
    await audit.seal();
    const rows = await t.platform.db
      .selectFrom('audit_logs')
      .select(['entity_id'])
      .where('action', '=', 'embedded.append')
      .execute();
    expect(rows).toHaveLength(160);
    expect(rows.some((r) => Number(r.entity_id) % 5 === 0)).toBe(false);
    const admin = await signUp(t, 'admin');
    await audit.seal();
    const report = (
      await t.inject({
        method: 'GET',
        url: '/api/v1/admin/audit-logs/verify',
        headers: bearer(admin.accessToken),
      })
    ).json();
    expect(report).toMatchObject({ ok: true, unsealed: 0, firstBadSeq: null });
    expect(report.checked).toBeGreaterThanOrEqual(160);
  });
});
