import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBLEM_CODES } from '../src/http/problem-codes.ts';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// The OpenAPI document is complete enough to generate a good client from: every operation says
// what it answers, with the problem shape and codes for each error, an example for every body (each
// valid against its own schema), named components, required headers where they are required.
// What the API really answers is held to the document on every test app as it closes
// (helpers/documented.ts); here, real 2xx bodies are also validated against their schemas.
// biome-ignore lint/suspicious/noExplicitAny: the document is walked by key, whatever it holds
type Json = Record<string, any>;
let t: TestApp;
let admin: Account;
let doc: Json;
let ajv: Ajv2020;
beforeAll(async () => {
  t = await startTestApp();
  admin = await signUp(t, 'admin');
  doc = (await t.inject({ method: 'GET', url: '/api-docs/openapi.json' })).json();
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  for (const [name, schema] of Object.entries<Json>(doc.components.schemas)) {
    ajv.addSchema(schema, `#/components/schemas/${name}`);
  }
});
afterAll(() => t.close());

it('is the committed docs/openapi.json, which the web app and clients are typed from (regenerate: npm run cli -- openapi --out docs/openapi.json)', async () => {
  const committed = JSON.parse(
    await readFile(path.resolve(import.meta.dirname, '../docs/openapi.json'), 'utf8'),
  );
  expect(doc).toEqual(committed);
});

const operations = () =>
  Object.entries<Json>(doc.paths).flatMap(([path, ops]) =>
    Object.entries<Json>(ops).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, path, op })),
  );

function validate(schema: Json, value: unknown): string[] {
  const check = ajv.compile(schema);
  return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('the document', () => {
  it('is OpenAPI 3.1 with the auth flow, errors, idempotency and the socket explained up front', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const topic of [
      'Authorization: Bearer',
      '/auth/refresh',
      'problem+json',
      'Idempotency-Key',
      'paise',
      'WebSocket',
    ]) {
      expect(doc.info.description, topic).toContain(topic);
    }
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'Appointment',
        'Payment',
        'Doctor',
        'Slot',
        'Schedule',
        'Problem',
        'SocketMessage',
      ]),
    );
  });

  it('every operation: a summary, a success, an example per body, and its errors with the problem shape and codes', () => {
    const missing: string[] = [];
    for (const { id, op } of operations()) {
      if (!op.summary) missing.push(`${id}: summary`);
      const statuses = Object.keys(op.responses);
      if (!statuses.some((s) => /^(2\d\d|101)$/.test(s))) missing.push(`${id}: a success response`);
      if (
        !statuses.some((s) => /^[45]\d\d$/.test(s)) &&
        !id.startsWith('GET /healthz') &&
        !id.includes('jwks')
      ) {
        missing.push(`${id}: error responses`);
      }
      if (op.security?.length && !(statuses.includes('401') && statuses.includes('403'))) {
        missing.push(`${id}: 401 and 403`);
      }
      const bodies = [
        ...Object.entries<Json>(op.requestBody?.content ?? {}).map(([type, media]) => [
          `request ${type}`,
          media,
        ]),
        ...Object.entries<Json>(op.responses).flatMap(([status, response]) =>
          Object.entries<Json>(response.content ?? {}).map(([type, media]) => [`${status} ${type}`, media]),
        ),
      ] as Array<[string, Json]>;
      for (const [where, media] of bodies) {
        if (!('example' in media)) missing.push(`${id} ${where}: example`);
        else
          for (const error of validate(media.schema, media.example))
            missing.push(`${id} ${where}: example ${error}`);
      }
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        if (!/^[45]/.test(status) || id === 'GET /readyz') continue;
        const media = response.content?.['application/problem+json'];
        if (media?.schema?.$ref !== '#/components/schemas/Problem')
          missing.push(`${id} ${status}: problem shape`);
        const codes: string[] = media?.['x-codes'] ?? [];
        if (codes.length === 0) missing.push(`${id} ${status}: codes`);
        for (const code of codes)
          if (!(code in PROBLEM_CODES)) missing.push(`${id} ${status}: unknown code ${code}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('component schemas carry their own examples, each valid', () => {
    const wrong: string[] = [];
    for (const [name, schema] of Object.entries<Json>(doc.components.schemas)) {
      for (const example of schema.examples ?? []) {
        for (const error of validate({ $ref: `#/components/schemas/${name}` }, example))
          wrong.push(`${name}: ${error}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('Idempotency-Key is a required header exactly where the API requires it', () => {
    const keyed = operations()
      .filter(({ op }) =>
        op.parameters?.some((p: Json) => p.in === 'header' && p.name === 'idempotency-key' && p.required),
      )
      .map(({ id }) => id)
      .sort();
    expect(keyed).toEqual([
      'POST /api/v1/appointments',
      'POST /api/v1/appointments/{id}/cancel',
      'POST /api/v1/appointments/{id}/reschedule',
    ]);
  });

  it('fees are documented in paise, instants as needing Z or an offset', () => {
    const search = doc.paths['/api/v1/doctors'].get.parameters as Json[];
    for (const name of ['minFee', 'maxFee']) {
      expect(search.find((p) => p.name === name)?.description).toContain('paise');
    }
    const slots = doc.paths['/api/v1/doctors/{id}/slots'].get.parameters as Json[];
    expect(
      slots.find((p) => p.name === 'from')?.schema.description ??
        slots.find((p) => p.name === 'from')?.description,
    ).toMatch(/Z.*offset/);
  });

  it('the WebSocket is an operation answering 101, its messages a component; AsyncAPI describes the same', async () => {
    const socket = doc.paths['/api/v1/ws/availability'].get;
    expect(Object.keys(socket.responses)).toContain('101');
    expect(socket['x-messages']).toEqual({ $ref: '#/components/schemas/SocketMessage' });
    const asyncapi = (await t.inject({ method: 'GET', url: '/api-docs/asyncapi.json' })).json();
    expect(asyncapi.asyncapi).toBe('3.0.0');
    expect(Object.keys(asyncapi.channels.availability.messages)).toEqual([
      'ready',
      'slotChanged',
      'heartbeat',
    ]);
    const changed = ajv.compile(asyncapi.channels.availability.messages.slotChanged.payload);
    expect(
      changed({
        type: 'slot.updated',
        slot: {
          id: '3f2b8c64-5d1e-4c7a-9b0e-2a6d4f8e1c35',
          startsAt: '2026-03-02T04:00:00.000Z',
          endsAt: '2026-03-02T04:30:00.000Z',
          mode: 'video',
          status: 'held',
        },
      }),
    ).toBe(true);
  });
});

describe('real answers match their documented schemas', () => {
  it('bodies sent as ready-made JSON (slots, search, replays) and the rest', async () => {
    const kit = bookingKit(t, admin);
    const { doctor, slots } = await kit.doctorWithSlots(2);
    const patient = await signUp(t);
    const key = 'openapi-replay';
    const calls: Array<[string, string, Awaited<ReturnType<TestApp['inject']>>]> = [];
    const record = async (method: string, path: string, res: Awaited<ReturnType<TestApp['inject']>>) => {
      calls.push([method, path, res]);
      return res;
    };
    const booked = await record('post', '/api/v1/appointments', await kit.book(patient, slots[0]!.id, key));
    await record('post', '/api/v1/appointments', await kit.book(patient, slots[0]!.id, key));
    await record(
      'get',
      '/api/v1/doctors/{id}/slots',
      await t.inject({ method: 'GET', url: `/api/v1/doctors/${doctor.id}/slots` }),
    );
    await record(
      'get',
      '/api/v1/doctors',
      await t.inject({ method: 'GET', url: '/api/v1/doctors?q=Ayurveda' }),
    );
    await record(
      'get',
      '/api/v1/doctors/me/slots',
      await kit.call(doctor.accessToken, 'GET', '/doctors/me/slots', undefined, null),
    );
    await record(
      'get',
      '/api/v1/appointments',
      await kit.call(patient.accessToken, 'GET', '/appointments', undefined, null),
    );
    await record(
      'get',
      '/api/v1/appointments/{id}/cancellation',
      await kit.call(
        patient.accessToken,
        'GET',
        `/appointments/${booked.json().id}/cancellation`,
        undefined,
        null,
      ),
    );
    await record(
      'get',
      '/api/v1/me',
      await t.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(doctor.accessToken) }),
    );
    await record('get', '/readyz', await t.inject({ method: 'GET', url: '/readyz' }));
    await record(
      'get',
      '/.well-known/jwks.json',
      await t.inject({ method: 'GET', url: '/.well-known/jwks.json' }),
    );
    await record('post', '/api/v1/appointments', await kit.book(patient, slots[1]!.id)); // 409: one unpaid hold per doctor
    const wrong: string[] = [];
    for (const [method, path, res] of calls) {
      const response = doc.paths[path][method].responses[String(res.statusCode)];
      const media = response?.content?.[String(res.headers['content-type']).split(';')[0]!];
      if (!media) {
        wrong.push(`${method} ${path} → ${res.statusCode} ${res.headers['content-type']}: not documented`);
        continue;
      }
      for (const error of validate(media.schema, res.json()))
        wrong.push(`${method} ${path} → ${res.statusCode}: ${error}`);
    }
    expect(calls.map(([, , res]) => res.statusCode)).toEqual([
      201, 201, 200, 200, 200, 200, 200, 200, 200, 200, 409,
    ]);
    expect(wrong).toEqual([]);
  });
});
