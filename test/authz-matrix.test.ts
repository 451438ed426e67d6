import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Call, expected, ownerships, RULES, type Rule } from './authz-matrix.ts';
import { ACTORS, type Actor, buildFixture, type Fixture, headersOf } from './fuzz/fixture.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

// Issue 13, item 4: the authorization matrix (test/authz-matrix.ts) walked against a real app:
// every operation of the OpenAPI document has a rule and every rule an operation; every actor
// (anonymous, patient, doctor, admin, suspended) on its own and on another side's resource gets
// the rule's status; extra fields that would assign what the server decides are 400; PHI reaches
// only the two parties, and their reads are audited.
// biome-ignore lint/suspicious/noExplicitAny: the document is walked by key
type Json = Record<string, any>;
let t: TestApp;
let f: Fixture;
let doc: Json;
beforeAll(async () => {
  t = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  f = await buildFixture(t);
  doc = (await t.inject({ method: 'GET', url: '/api-docs/openapi.json' })).json();
});
afterAll(() => t.close());

const methodOf = (rule: Rule) => rule.route.split(' ')[0] as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const keyed = (rule: Rule) =>
  doc.paths[rule.route.split(' ')[1]!]?.[methodOf(rule).toLowerCase()]?.parameters?.some(
    (p: Json) => p.name === 'idempotency-key' && p.required,
  );

/** The status of an upgrade: 101 when the socket opens (it waits for `ready`, then closes). */
async function upgrade(actor: Actor, call: Call): Promise<number> {
  try {
    const socket = await t.app.injectWS(call.url, { headers: await headersOf(f, actor) });
    await new Promise((resolve) => socket.once('message', resolve));
    socket.terminate();
    return 101;
  } catch (error) {
    return Number(/Unexpected server response: (\d+)/.exec(String(error))?.[1] ?? 0);
  }
}

async function send(rule: Rule, actor: Actor, call: Call): Promise<LightMyRequestResponse> {
  return t.inject({
    method: methodOf(rule),
    url: call.url,
    headers: { ...(await headersOf(f, actor)), ...(keyed(rule) ? { 'idempotency-key': randomUUID() } : {}) },
    ...(call.body === undefined ? {} : { payload: call.body as object }),
  });
}

const isProblem = (res: LightMyRequestResponse) =>
  String(res.headers['content-type']).startsWith('application/problem+json') &&
  ['type', 'title', 'status', 'code', 'requestId'].every((k) => k in res.json()) &&
  res.json().status === res.statusCode;

describe('the matrix', () => {
  it('has exactly one rule for every operation of the OpenAPI document', () => {
    const documented = Object.entries<Json>(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const ruled = RULES.map((r) => r.route);
    expect(
      ruled.filter((route, i) => ruled.indexOf(route) !== i),
      'rules given twice',
    ).toEqual([]);
    expect(
      documented.filter((route) => !ruled.includes(route)),
      'operations without an access rule',
    ).toEqual([]);
    expect(
      ruled.filter((route) => !documented.includes(route)),
      'rules for operations that no longer exist',
    ).toEqual([]);
  });

  it('every actor, own resource and another’s: 401 anonymous or suspended, 403 wrong role, 404 not yours', async () => {
    const wrong: string[] = [];
    for (const rule of RULES) {
      for (const whose of ownerships(rule)) {
        for (const actor of ACTORS) {
          const call = rule.call({ f, s: whose === 'own' ? f.own : f.other });
          const want = expected(rule, actor, whose);
          const where = `${rule.route} as ${actor} on ${whose}`;
          if (rule.socket) {
            const status = await upgrade(actor, call);
            if (status !== want) wrong.push(`${where}: ${status} (want ${want})`);
            continue;
          }
          const res = await send(rule, actor, call);
          if (res.statusCode !== want)
            wrong.push(`${where}: ${res.statusCode} (want ${want}) ${res.body.slice(0, 160)}`);
          else if (res.statusCode >= 400 && !isProblem(res))
            wrong.push(`${where}: not a problem: ${res.body.slice(0, 160)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('mass assignment', () => {
  // What the server decides, sent by a client that hopes to decide it: one extra field at a time.
  const smuggled = (fx: Fixture): Record<string, unknown> => ({
    role: 'admin',
    verificationStatus: 'verified',
    patientId: fx.other.patient.id,
    id: randomUUID(),
    status: 'confirmed',
  });
  it('a JSON body with a field the schema lacks is 400 VALIDATION_FAILED on every route, naming it', async () => {
    const wrong: string[] = [];
    let tried = 0;
    for (const rule of RULES) {
      const call = rule.call({ f, s: f.own });
      if (call.body === null || typeof call.body !== 'object' || Array.isArray(call.body)) continue;
      const [method, path] = rule.route.split(' ') as [string, string];
      const media = doc.paths[path][method.toLowerCase()].requestBody.content['application/json'];
      const ref = media.schema.$ref as string | undefined;
      const schema = ref ? doc.components.schemas[ref.split('/').pop()!] : media.schema;
      // The webhook's body is the gateway's, taken raw and trusted only once its signature holds.
      if (rule.route === 'POST /api/v1/payments/webhook') continue;
      expect(schema.additionalProperties, `${rule.route} rejects unknown fields`).toBe(false);
      const actor: Actor =
        rule.access === 'public' ? 'anonymous' : rule.access === 'signed-in' ? 'patient' : rule.access[0]!;
      for (const [field, value] of Object.entries(smuggled(f))) {
        if (field in (schema.properties ?? {})) continue;
        tried += 1;
        const res = await send(rule, actor, { ...call, body: { ...call.body, [field]: value } });
        const body = res.json();
        if (res.statusCode !== 400 || body.code !== 'VALIDATION_FAILED' || !isProblem(res))
          wrong.push(`${rule.route} +${field}: ${res.statusCode} ${res.body.slice(0, 160)}`);
        else if (!JSON.stringify(body.errors ?? []).includes(field))
          wrong.push(`${rule.route} +${field}: errors[] does not name it: ${res.body.slice(0, 160)}`);
      }
    }
    expect(tried).toBeGreaterThan(60);
    expect(wrong).toEqual([]);
  });
});

describe('PHI only to the parties', () => {
  const read = async (actor: Actor, url: string) =>
    t.inject({ method: 'GET', url: `/api/v1${url}`, headers: await headersOf(f, actor) });
  const phiReads = (id: string) =>
    t.platform.db
      .selectFrom('audit_logs')
      .select(['action', 'actor_id'])
      .where('entity_id', '=', id)
      .where('action', 'in', ['notes.read', 'prescription.read'])
      .execute();

  it('another side’s notes, prescription and reason are 404, in lists absent, and nothing is audited as read', async () => {
    const { inProgress, phi } = f.other;
    const before = await phiReads(inProgress);
    for (const actor of ['patient', 'doctor'] as const) {
      for (const url of [
        `/appointments/${inProgress}/notes`,
        `/appointments/${inProgress}/prescription`,
        `/appointments/${inProgress}`,
      ]) {
        const res = await read(actor, url);
        expect(res.statusCode, `${actor} ${url}`).toBe(404);
        expect(res.json().code).toBe('NOT_FOUND');
      }
      const list = await read(actor, '/appointments?limit=100');
      expect(list.statusCode).toBe(200);
      for (const secret of Object.values(phi)) expect(list.body).not.toContain(secret);
    }
    expect(await phiReads(inProgress)).toEqual(before);
  });

  it('a party’s read is answered and audited with the reader', async () => {
    const { inProgress, phi, patient, doctor } = f.own;
    for (const [actor, reader] of [
      ['patient', patient],
      ['doctor', doctor],
    ] as const) {
      const before = (await phiReads(inProgress)).length;
      const notes = await read(actor, `/appointments/${inProgress}/notes`);
      expect(notes.json().text).toBe(phi.notes);
      const prescription = await read(actor, `/appointments/${inProgress}/prescription`);
      expect(prescription.body).toContain(phi.diagnosis);
      const audited = await phiReads(inProgress);
      expect(audited.slice(before)).toEqual(
        expect.arrayContaining([
          { action: 'notes.read', actor_id: reader.id },
          { action: 'prescription.read', actor_id: reader.id },
        ]),
      );
      expect((await read(actor, `/appointments/${inProgress}`)).json().reason).toBe(phi.reason);
    }
  });
});
