import { context, propagation, ROOT_CONTEXT, type Span, TraceFlags, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { failed, SpanKind, type Tracing } from '../platform/tracing.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's SERVER span (tracing on only). */
    span: Span | null;
  }
}

/**
 * A SERVER span per request (tracing on only; off, this is never registered), continuing the
 * caller's `traceparent`. Named by route template (`POST /api/v1/appointments/:id/cancel`), never the
 * raw URL: ids and query strings stay out of the collector, and spans group by endpoint.
 * Active from onRequest on: every later hook, the body's parsing and the handler run in it
 * (test/tracing.test.ts sends a body in two packets to keep that true).
 */
/** Polled every few seconds by load balancers and Prometheus: a trace each would bury the real ones. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

export function registerTracing(app: FastifyInstance, tracing: Tracing): void {
  app.decorateRequest('span', null);
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route && PROBES.has(route)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracing.tracer.startSpan(
      `${request.method} ${route ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          ...(route ? { 'http.route': route } : {}),
          'amrutam.request_id': request.id,
        },
      },
      parent,
    );
    request.span = span;
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    endSpan(request.span, reply.statusCode);
    done();
  });
  // A client that hangs up gets no onResponse.
  app.addHook('onRequestAbort', (request, done) => {
    endSpan(request.span, 499);
    done();
  });
}

function endSpan(span: Span | null, status: number): void {
  if (!span?.isRecording()) return;
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) failed(span, new Error(`HTTP ${status}`));
  span.end();
}

/** The trace id a problem body and the access log quote (tracing on, request sampled; ended or not). */
export function traceIdOf(span: Span | null): string | undefined {
  if (!span) return undefined;
  const { traceId, traceFlags } = span.spanContext();
  return traceFlags & TraceFlags.SAMPLED ? traceId : undefined;
}
