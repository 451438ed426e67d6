import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzRoute, type Prepared, prepare, type RouteResult, report } from './fuzz/campaign.ts';
import type { Actor } from './fuzz/fixture.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

// Issue 13, item 3: a seeded fuzzing run over every operation of the OpenAPI document, as every
// actor, with requests derived from its schemas and hostile values (test/fuzz/arbitraries.ts),
// held to the oracles (test/fuzz/oracles.ts): no 5xx, documented statuses, problem+json errors,
// 2xx bodies valid against their schemas, no one else's ids or PHI. Long runs: `npm run fuzz`.
const SEED = 1313;
const RUNS_PER_ROUTE = 30;
let t: TestApp;
let prepared: Prepared;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  prepared = await prepare(t);
});
afterAll(() => t.close());

it(`every operation, ${RUNS_PER_ROUTE} requests each (seed ${SEED}), answers within the contract`, {
  timeout: 120_000,
}, async () => {
  const { operations } = prepared;
  expect(operations.length).toBeGreaterThan(60);
  const results: RouteResult[] = [];
  for (const operation of operations) {
    results.push(await fuzzRoute(t, prepared, operation, { runs: RUNS_PER_ROUTE, seed: SEED }));
  }
  const failing = results.filter((r) => r.failure);
  expect(failing.length, report(failing.length > 0 ? failing : [])).toBe(0);
});

it('the oracles catch what they are for: another user’s data, a bare error, an undocumented status', () => {
  const { fixture, operations, oracles } = prepared;
  const me = operations.find((o) => o.id === 'GET /api/v1/me')!;
  const answer = (statusCode: number, body: object, type = 'application/json') =>
    ({ statusCode, headers: { 'content-type': type }, body: JSON.stringify(body) }) as never;
  const asked = (actor: Actor) => ({ actor, method: 'GET', url: '/api/v1/me', headers: {} });
  const leaked = answer(200, { note: fixture.other.phi.notes, email: fixture.other.patient.email });
  expect(oracles.check(me, asked('patient'), leaked)).toEqual(
    expect.arrayContaining([expect.stringMatching(/^leaks .*notes/), expect.stringMatching(/^leaks .*@/)]),
  );
  expect(oracles.check(me, asked('admin'), leaked).filter((p) => p.startsWith('leaks'))).toEqual([]);
  expect(oracles.check(me, asked('anonymous'), answer(200, { id: fixture.own.patient.id })).join()).toContain(
    'leaks',
  );
  expect(oracles.check(me, asked('patient'), answer(404, { error: 'Not Found' })).join()).toMatch(
    /not documented.*content-type/,
  );
  expect(oracles.check(me, asked('patient'), answer(500, {}))).toHaveLength(1);
});

// What the fuzzer found, pinned (issue 13): the router's own refusals were Fastify's JSON, not
// problems (414 for a long path segment, 400 for bad percent-encoding), and a body sent to a route
// that takes none (413 past the limit, 415 not JSON) was an answer the document didn't declare.
describe('found by fuzzing', () => {
  it('a path parameter past the router’s limit or not UTF-8 is a 400 VALIDATION_FAILED problem with a request id', async () => {
    for (const [url, message] of [
      [`/api/v1/appointments/${encodeURIComponent('ॐ'.repeat(200))}/start`, 'is too long'],
      ['/api/v1/appointments/x%ED%AF%BFy/start', 'must be percent-encoded UTF-8'], // a lone surrogate
    ] as const) {
      // POST: a GET would fall through to the web app's catch-all (a 404 problem).
      const res = await t.inject({ method: 'POST', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['x-request-id']).toBeTruthy();
      expect(res.json()).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        requestId: res.headers['x-request-id'],
        errors: [{ path: 'params', message }],
      });
    }
  });

  it('a plain GET of the WebSocket address is a documented 426 UPGRADE_REQUIRED problem, not an empty 404', async () => {
    const ws = prepared.doc.paths['/api/v1/ws/availability'].get.responses;
    expect(ws['426'].content['application/problem+json']['x-codes']).toEqual(['UPGRADE_REQUIRED']);
    const res = await t.inject({
      method: 'GET',
      url: `/api/v1/ws/availability?doctorId=${prepared.fixture.own.doctor.id}`,
    });
    expect(res.statusCode).toBe(426);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'UPGRADE_REQUIRED', requestId: res.headers['x-request-id'] });
  });

  it('a body sent to a route that takes none: 413 past the limit, 415 when not JSON, both documented', async () => {
    const { doc } = prepared;
    const start = doc.paths['/api/v1/appointments/{id}/start'].post.responses;
    expect(start['413'].content['application/problem+json']['x-codes']).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(start['415'].content['application/problem+json']['x-codes']).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
    const url = `/api/v1/appointments/${prepared.fixture.own.confirmed}/start`;
    const large = await t.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ x: 'a'.repeat(1_100_000) }),
    });
    expect(large.statusCode).toBe(413);
    const text = await t.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
