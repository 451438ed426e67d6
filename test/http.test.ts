import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import { bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    captureLogs: true,
    env: { BODY_LIMIT_BYTES: '4096', CORS_ORIGINS: 'https://app.example.test' },
  });
});
afterAll(() => t.close());

function expectProblem(res: Awaited<ReturnType<TestApp['inject']>>, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const body = res.json();
  expect(body).toMatchObject({
    status,
    code,
    title: expect.any(String),
    detail: expect.any(String),
    type: expect.any(String),
  });
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body;
}

const register = (payload: string, contentType = 'application/json') =>
  t.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload,
    headers: { 'content-type': contentType },
  });

describe('problem+json for every error', () => {
  it('unknown route → 404 NOT_FOUND', async () => {
    expectProblem(await t.inject({ method: 'GET', url: '/api/v1/nope' }), 404, 'NOT_FOUND');
  });

  it('malformed JSON → 400 INVALID_JSON without echoing the body', async () => {
    const body = expectProblem(
      await register('{"email":"a@b.c","password":"hunter2hunter2'),
      400,
      'INVALID_JSON',
    );
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('empty JSON body → 400, prototype pollution → 400', async () => {
    expectProblem(await register(''), 400, 'EMPTY_BODY');
    expectProblem(await register('{"__proto__":{"admin":true},"email":"x"}'), 400, 'INVALID_JSON');
  });

  it('too large → 413, wrong media type → 415', async () => {
    expectProblem(
      await register(JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(10_000), name: 'n' })),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectProblem(
      await register('email=a', 'application/x-www-form-urlencoded'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('wrong types, missing fields, extra fields → 400 with errors[]', async () => {
    for (const payload of [
      { email: 42, password: true, name: [] },
      {},
      { email: 'a@b.c', password: 'long enough pw', name: 'n', extra: 1 },
      [],
      'a string',
      null,
    ]) {
      const body = expectProblem(await register(JSON.stringify(payload)), 400, 'VALIDATION_FAILED');
      expect(body.errors.length).toBeGreaterThan(0);
      expect(body.errors[0]).toEqual({ path: expect.any(String), message: expect.any(String) });
    }
  });

  it('junk never produces a 500', async () => {
    const junk = [
      '{',
      '[1,2',
      '"\\u0000"',
      '{"email":{"$gt":""}}',
      '9'.repeat(400),
      '{"a":'.repeat(500),
      'null',
      'true',
    ];
    for (const payload of junk) {
      for (const url of [
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        '/api/v1/auth/refresh',
        '/api/v1/auth/mfa/verify',
      ]) {
        const res = await t.inject({
          method: 'POST',
          url,
          payload,
          headers: { 'content-type': 'application/json' },
        });
        expect(res.statusCode, `${url} ${payload.slice(0, 20)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
    }
  });
});

describe('request ids and headers', () => {
  it('echoes a sane X-Request-Id, replaces an unsafe one, generates one otherwise', async () => {
    const given = await t.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const unsafe = await t.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'bad\nid {}' },
    });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const none = await t.inject({ method: 'GET', url: '/healthz' });
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends helmet security headers and CORS for configured origins only', async () => {
    const res = await t.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'https://app.example.test' },
    });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.test');
    const other = await t.inject({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('operations endpoints', () => {
  it('/healthz and /readyz report up; /readyz names each dependency', async () => {
    expect((await t.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ready',
      checks: { database: 'ok (postgres)', redis: 'ok' },
    });
  });

  it('/metrics exposes the HTTP histogram by method, route and status, and process metrics', async () => {
    await t.inject({ method: 'GET', url: '/healthz' });
    const res = await t.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(
      /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/healthz",status="200"\}/,
    );
    expect(res.body).toContain('process_cpu_user_seconds_total');
    expect(res.body).toContain('db_pool_connections');
  });

  it('/api-docs serves Swagger UI and /api-docs/openapi.json an OpenAPI 3.1 document of the routes', async () => {
    const ui = await t.inject({ method: 'GET', url: '/api-docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
    const doc = (await t.inject({ method: 'GET', url: '/api-docs/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/auth/register',
      '/api/v1/auth/login',
      '/api/v1/me',
      '/api/v1/admin/audit-logs/verify',
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
    expect(doc.paths['/api/v1/auth/register'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RegisterRequest',
    });
    expect(doc.components.schemas.RegisterRequest.properties).toHaveProperty('email');
  });
});

describe('logs', () => {
  it('carry the request id and never contain a password, token, TOTP secret or code', async () => {
    const a = await signUp(t);
    await t.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: a.email, password: 'wrong password 1' },
    });
    const refreshed = (
      await t.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: a.refreshToken },
      })
    ).json();
    const setup = (
      await t.inject({
        method: 'POST',
        url: '/api/v1/auth/mfa/setup',
        headers: bearer(refreshed.accessToken),
      })
    ).json();
    const code = totpCodeAt(setup.secret, t.clock.now());
    const enabled = (
      await t.inject({
        method: 'POST',
        url: '/api/v1/auth/mfa/enable',
        headers: bearer(refreshed.accessToken),
        payload: { code },
      })
    ).json();
    await t.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: `{"password":"${a.password}`,
      headers: { 'content-type': 'application/json' },
    });
    await t.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(`${enabled.accessToken}x`) });

    const text = t.logs.join('\n');
    expect(text).toContain('"requestId"');
    const secrets = [
      a.password,
      'wrong password 1',
      a.accessToken,
      a.refreshToken,
      refreshed.accessToken,
      refreshed.refreshToken,
      setup.secret,
      enabled.accessToken,
      enabled.refreshToken,
      ...enabled.recoveryCodes,
    ];
    for (const secret of secrets) expect(text).not.toContain(secret);
    // Tokens also never appear in part (e.g. a JWT signature).
    expect(text).not.toContain(a.accessToken.split('.')[2]);
  });
});
