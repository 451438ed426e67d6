import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { Config } from '../config.ts';

/**
 * OpenTelemetry tracing, on only when configured (OTEL_EXPORTER_OTLP_ENDPOINT, or an exporter a
 * test passes). Off, nothing here is loaded into the request path: every caller holds a
 * `Tracing | null` and adds no hook, wrapper or attribute for null.
 *
 * Invariants:
 * - A trace crosses processes and time as a W3C `traceparent` string: HTTP headers in, the outbox
 *   row, the job's options; `parentOf` turns it back into a parent.
 * - Span attributes name routes, statements and job topics, never values: no ids from URLs, no
 *   SQL parameters, no Redis keys or arguments, no payloads (no PHI can reach a collector).
 */
export interface Tracing {
  tracer: Tracer;
  /** The active span's `traceparent`, or null outside a sampled span (stored with outbox rows). */
  traceparent(): string | null;
  /** The context a stored `traceparent` continues (the root context when there is none). */
  parentOf(traceparent: string | null | undefined): Context;
  /** Runs `work` in a new active span; its end (and failure) is the promise's. */
  inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T>;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

export interface SpanOptions {
  kind: SpanKind;
  attributes?: Attributes;
  /** The parent; the active context when absent. */
  parent?: Context;
}

let contextReady = false;

/**
 * null when tracing is off (no endpoint and no exporter). The SDK is loaded only when it is on: an
 * untraced process carries none of it (the exporter alone brings a protobuf runtime).
 */
export async function createTracing(
  config: Config['tracing'],
  exporter?: SpanExporter,
): Promise<Tracing | null> {
  if (!config.endpoint && !exporter) return null;
  const [
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { resourceFromAttributes },
    sdk,
  ] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
  ]);
  if (!contextReady) {
    // Process-wide by nature (AsyncLocalStorage): the first tracing of a process installs it.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    contextReady = true;
  }
  const processor = exporter
    ? new sdk.SimpleSpanProcessor({ exporter })
    : new sdk.BatchSpanProcessor({ exporter: await otlpExporter(config.endpoint!, config.headers) });
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('amrutam');

  return {
    tracer,
    traceparent() {
      const span = trace.getSpan(context.active());
      if (!span?.isRecording()) return null;
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return carrier.traceparent ?? null;
    },
    parentOf(traceparent) {
      return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    },
    inSpan(name, options, work) {
      const parent = options.parent ?? context.active();
      const span = tracer.startSpan(
        name,
        { kind: options.kind, attributes: options.attributes ?? {} },
        parent,
      );
      return context.with(trace.setSpan(parent, span), () =>
        work(span).then(
          (value) => {
            span.end();
            return value;
          },
          (error: unknown) => {
            failed(span, error);
            span.end();
            throw error;
          },
        ),
      );
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The active `traceparent` getter (always null when tracing is off). */
export const traceparentOf = (tracing: Tracing | null): (() => string | null) =>
  tracing ? () => tracing.traceparent() : () => null;

/**
 * Marks a span failed by the error's kind only: its class and code (an SQLSTATE, ECONNREFUSED), not
 * its message, which can quote values (a unique violation's message quotes the duplicate key).
 */
export function failed(span: Span, error: unknown): void {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  const kind = error instanceof Error ? error.name : typeof error;
  span.setAttribute('error.type', code ? `${kind} ${code}` : kind);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

async function otlpExporter(endpoint: string, headers: Record<string, string>): Promise<SpanExporter> {
  // The generic endpoint gets the signal's path (OTLP/HTTP spec); a URL already ending in it is kept.
  const url = endpoint.endsWith('/v1/traces') ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url, headers });
}

export { SpanKind };
