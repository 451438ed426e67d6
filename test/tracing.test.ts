import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { registerJobHandlers } from '../src/jobs.ts';
import { createLogger } from '../src/platform/logger.ts';
import { createPlatform } from '../src/platform/platform.ts';
import { type Account, bearer, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';

// OpenTelemetry: one trace from the booking request, through the outbox row and the job queue
// (BullMQ on Redis), to the confirmation job; trace ids in logs and problems; nothing a patient
// wrote in any span; and off by default.
const exporter = new InMemorySpanExporter();
const PHI = 'burning sensation after meals, since Diwali';
let t: TestApp;
let admin: Account;

beforeAll(async () => {
  t = await startTestApp({ spanExporter: exporter, captureLogs: true });
  registerJobHandlers(t.services, t.platform.logger);
  admin = await signUp(t, 'admin');
});
afterAll(() => t.close());

const spans = () => exporter.getFinishedSpans();
const inTrace = (traceId: string) => spans().filter((s) => s.spanContext().traceId === traceId);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

async function eventually<T>(find: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = find();
    if (found) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never saw ${what}`);
}

describe('tracing on', () => {
  it('follows a free booking from POST /appointments to its confirmation job, in one trace', async () => {
    const kit = bookingKit(t, admin);
    const { slots } = await kit.doctorWithSlots(1, { feeMinor: 0 });
    const patient = await signUp(t);
    exporter.reset();
    // Over a real socket, the body arriving in two packets: the handler runs after the body's
    // socket events, and must still be in the request's trace.
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const json = JSON.stringify({ slotId: slots[0]!.id, reason: PHI });
    const res = await fetch(`${address}/api/v1/appointments`, {
      method: 'POST',
      headers: {
        ...bearer(patient.accessToken),
        'idempotency-key': randomUUID(),
        'content-type': 'application/json',
      },
      body: new ReadableStream({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode(json.slice(0, 10)));
          await new Promise((r) => setTimeout(r, 50));
          controller.enqueue(new TextEncoder().encode(json.slice(10)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    const body = await res.text();
    expect(res.status, body).toBe(201);
    expect(JSON.parse(body).status).toBe('confirmed');

    const server = spans().find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /api/v1/appointments');
    expect(server?.attributes['http.route']).toBe('/api/v1/appointments');
    expect(server?.attributes['http.response.status_code']).toBe(201);
    const traceId = server!.spanContext().traceId;
    // The booking's one statement is a child of the request.
    const statement = inTrace(traceId).find((s) => s.name === 'book_slot');
    expect(statement?.attributes['db.system.name']).toBe('postgresql');
    expect(parentOf(statement!)).toBe(server!.spanContext().spanId);

    // The relay runs outside any request (as in the worker): the row carries the trace.
    await t.services.outbox.relay();
    const job = await eventually(
      () => inTrace(traceId).find((s) => s.name === 'process appointment.confirmed'),
      'the confirmation job in the booking trace',
    );
    expect(job.kind).toBe(SpanKind.CONSUMER);
    const sent = inTrace(traceId).find((s) => s.name === 'send appointment.confirmed');
    expect(sent?.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(job)).toBe(sent!.spanContext().spanId);
    // The job's own database work is under the job.
    const jobWork = inTrace(traceId).filter((s) => parentOf(s) === job.spanContext().spanId);
    expect(jobWork.some((s) => s.attributes['db.system.name'] === 'postgresql')).toBe(true);
    // Redis commands of the request are spans of the trace too.
    expect(inTrace(traceId).some((s) => s.attributes['db.system.name'] === 'redis')).toBe(true);

    // Every log line of the request carries the trace (the access log included).
    const lines = t.logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.requestId === res.headers.get('x-request-id'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.traceId, JSON.stringify(line)).toBe(traceId);
  });

  it('continues the caller’s traceparent and quotes the trace id in a problem', async () => {
    const patient = await signUp(t);
    const traceId = randomUUID().replaceAll('-', '');
    const res = await t.inject({
      method: 'GET',
      url: `/api/v1/appointments/${randomUUID()}`,
      headers: { ...bearer(patient.accessToken), traceparent: `00-${traceId}-${'ab'.repeat(8)}-01` },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND', traceId });
    const server = inTrace(traceId).find((s) => s.kind === SpanKind.SERVER);
    // The route's template, never the id in the URL.
    expect(server?.name).toBe('GET /api/v1/appointments/:id');
  });

  it('leaves the probes untraced (polled every few seconds)', async () => {
    exporter.reset();
    for (const url of ['/healthz', '/readyz', '/metrics']) await t.inject({ method: 'GET', url });
    expect(spans().filter((s) => s.kind === SpanKind.SERVER)).toEqual([]);
  });

  it('puts no patient data in any span: no reason, names, e-mails, passwords or ids in URLs', async () => {
    const secrets = [PHI, admin.email, 'a long password'];
    const people = await t.platform.db.selectFrom('users').select(['email', 'name']).execute();
    for (const p of people) secrets.push(p.email, p.name);
    const appointments = await t.platform.db.selectFrom('appointments').select('id').execute();
    for (const a of appointments) secrets.push(a.id);
    for (const span of spans()) {
      const text = JSON.stringify([span.name, span.attributes, span.events]);
      for (const secret of secrets)
        expect(text.includes(secret), `${span.name} holds "${secret}"`).toBe(false);
    }
  });
});

describe('tracing off (the default)', () => {
  it('registers nothing: no span on requests, no trace id in problems', async () => {
    const plain = await startTestApp({ mode: 'embedded' });
    try {
      expect(plain.platform.tracing).toBeNull();
      expect(plain.app.hasRequestDecorator('span')).toBe(false);
      const res = await plain.inject({ method: 'GET', url: '/api/v1/doctors/not-a-uuid' });
      expect(res.statusCode).toBe(400);
      expect(res.json().traceId).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});

describe('OTLP export', () => {
  it('sends spans to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces with the configured headers', async () => {
    const received: Array<{ url: string; type: string; key: string; bytes: number }> = [];
    const collector = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      req.on('end', () => {
        received.push({
          url: req.url ?? '',
          type: String(req.headers['content-type']),
          key: String(req.headers['x-api-key']),
          bytes,
        });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const { port } = collector.address() as { port: number };
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: `/tmp/amrutam-otlp-${randomUUID()}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k%3D1',
    });
    const platform = await createPlatform(config, { logger: createLogger('silent'), inMemoryDb: true });
    const { app } = await buildApp(platform);
    try {
      const res = await app.inject({ method: 'GET', url: '/api/v1/doctors?limit=1' });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
      await platform.close(); // flushes the batch
      collector.close();
    }
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]).toMatchObject({ url: '/v1/traces', type: 'application/x-protobuf', key: 'k=1' });
    expect(received[0]!.bytes).toBeGreaterThan(0);
  });
});
