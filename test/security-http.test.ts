import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type Account, bearer, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { operatorValues } from './helpers/deploy-check.ts';
import { connectWs } from './helpers/ws.ts';

// Issue 13, found by probing the running server: what every answer's headers say (cache, CSP, CORS),
// who reads /metrics and /api-docs, and how many live sockets one address or one process holds.

const ORIGIN = 'https://app.example.test';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
let t: TestApp;
let admin: Account;
let patient: Account;
beforeAll(async () => {
  t = await startTestApp({
    env: { CORS_ORIGINS: ORIGIN, METRICS_TOKEN, WS_MAX_PER_IP: '2', WS_MAX_CONNECTIONS: '1000' },
  });
  [admin, patient] = await Promise.all([signUp(t, 'admin'), signUp(t)]);
});
afterAll(() => t.close());

const get = (url: string, token?: string) =>
  t.inject({ method: 'GET', url, ...(token ? { headers: bearer(token) } : {}) });

describe('Cache-Control', () => {
  it('no-store on every /api/v1 answer that carries tokens or personal data, errors included', async () => {
    const login = await t.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: patient.email, password: patient.password },
    });
    expect(login.json().accessToken).toEqual(expect.any(String));
    const answers = [
      login,
      await get('/api/v1/me', patient.accessToken),
      await get('/api/v1/appointments', patient.accessToken),
      await get('/api/v1/appointments', admin.accessToken),
      await get('/api/v1/admin/doctors', admin.accessToken),
      await get('/api/v1/me'), // 401
      await get('/api/v1/appointments/00000000-0000-4000-8000-000000000000', patient.accessToken), // 404
      await get('/api/v1/doctors'),
    ];
    for (const res of answers) expect(res.headers['cache-control'], res.body).toBe('no-store');
  });

  it('a route that chose its own cache header keeps it', async () => {
    expect((await get('/.well-known/jwks.json')).headers['cache-control']).toBe('public, max-age=300');
  });
});

describe('Content-Security-Policy', () => {
  it('the API’s answers allow nothing to run or frame them', async () => {
    for (const url of ['/api/v1/doctors', '/healthz', '/api/v1/nope', '/api-docs/openapi.json']) {
      expect((await get(url)).headers['content-security-policy'], url).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
    }
  });

  it('Swagger UI gets its own: scripts from this origin only, never framed, requests not upgraded', async () => {
    const page = await get('/api-docs/');
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self'\s*;/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).not.toContain('upgrade-insecure-requests');
  });
});

describe('CORS', () => {
  const preflight = (method: string, url: string, origin = ORIGIN) =>
    t.inject({
      method: 'OPTIONS',
      url,
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });

  it('a preflight allows every method the API routes use, with the headers it reads', async () => {
    for (const [method, url] of [
      ['PUT', '/api/v1/doctors/me'],
      ['PATCH', '/api/v1/doctors/me'],
      ['DELETE', '/api/v1/doctors/me/slots/00000000-0000-4000-8000-000000000000'],
      ['POST', '/api/v1/appointments'],
    ] as const) {
      const res = await preflight(method, url);
      expect(res.statusCode, method).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
      const methods = String(res.headers['access-control-allow-methods']).split(/,\s*/);
      expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));
      const allowed = String(res.headers['access-control-allow-headers']).split(/,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']));
    }
  });

  it('exposes what a client reads of an answer; another origin gets no CORS headers', async () => {
    const res = await t.inject({ method: 'GET', url: '/api/v1/doctors', headers: { origin: ORIGIN } });
    const exposed = String(res.headers['access-control-expose-headers']).split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'retry-after', 'idempotent-replayed']));
    const other = await preflight('DELETE', '/api/v1/doctors/me', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('/metrics and /api-docs', () => {
  it('with METRICS_TOKEN, /metrics answers only its bearer', async () => {
    for (const authorization of [null, 'Bearer wrong-token-0123456789abcdef', METRICS_TOKEN]) {
      const res = await t.inject({
        method: 'GET',
        url: '/metrics',
        headers: authorization ? { authorization } : {},
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('UNAUTHORIZED');
      expect(res.body).not.toContain('http_request_duration_seconds');
    }
    const ok = await t.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('http_request_duration_seconds');
  });

  it('production serves neither without being told: metrics need a token, docs API_DOCS=on', () => {
    const production: Record<string, string> = {
      ...operatorValues(),
      NODE_ENV: 'production',
      PAYMENT_PROVIDER: 'razorpay',
    };
    const { METRICS_TOKEN: _token, ...withoutToken } = production;
    expect(loadConfig(withoutToken)).toMatchObject({ apiDocs: false, metrics: { served: false } });
    expect(loadConfig({ ...production, API_DOCS: 'on' })).toMatchObject({
      apiDocs: true,
      metrics: { token: production.METRICS_TOKEN, served: true },
    });
    expect(loadConfig({ NODE_ENV: 'development' })).toMatchObject({
      apiDocs: true,
      metrics: { served: true },
    });
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16/);
    expect(() => loadConfig({ API_DOCS: 'yes' })).toThrow(/API_DOCS: must be on or off/);
  });
});

describe('live availability sockets', () => {
  let port: number;
  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
  });
  const openSockets = async () =>
    (await t.platform.metrics.registry.getSingleMetric('availability_sockets_open')?.get())?.values[0]?.value;

  it('one address holds at most WS_MAX_PER_IP; one more closes with 1013; a closed one frees its place', async () => {
    const doctor = await createDoctor(t, admin);
    const url = `ws://127.0.0.1:${port}/api/v1/ws/availability?doctorId=${doctor.id}`;
    const held = [connectWs(url), connectWs(url)];
    for (const ws of held) await ws.next((m) => m.type === 'ready');
    const refused = connectWs(url);
    expect(await refused.closed).toMatchObject({ code: 1013 });
    expect(await openSockets()).toBe(2);

    held[0]!.close();
    await held[0]!.closed;
    await vi.waitFor(async () => expect(await openSockets()).toBe(1));
    const again = connectWs(url);
    await again.next((m) => m.type === 'ready');
    // An unknown doctor's socket (closed 4404) gives its place back too.
    const unknown = connectWs(url.replace(doctor.id, '00000000-0000-4000-8000-000000000000'));
    expect((await unknown.closed).code).toBe(1013);
    for (const ws of [held[1]!, again]) ws.close();
    await vi.waitFor(async () => expect(await openSockets()).toBe(0));
    const fresh = connectWs(url.replace(doctor.id, '00000000-0000-4000-8000-000000000000'));
    expect((await fresh.closed).code).toBe(4404);
    await vi.waitFor(async () => expect(await openSockets()).toBe(0));

    const metrics = (await t.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) })).body;
    expect(metrics).toMatch(/availability_sockets_refused_total\{reason="per_ip"\} 2/);
  });
});
