import type { Context } from '@opentelemetry/api';
import type { JobQueue, NewJob } from './kv.ts';
import { SpanKind, type Tracing } from './tracing.ts';

/**
 * The job queue with spans (tracing on only): a PRODUCER span per job enqueued, a CONSUMER span per
 * try, active while the handler runs (its database and Redis calls are its children).
 *
 * A job continues the trace it was made in: `enqueue` inside a request continues the request; the
 * outbox relay passes each row's stored `traceparent`, so a job born of a booking belongs to the
 * booking's trace however much later, in whichever process, it runs.
 */
export function tracedQueue(queue: JobQueue, tracing: Tracing): JobQueue {
  /** The producer span's `traceparent`: what the job carries. `parent` undefined: the active context. */
  const produced = (name: string, parent: Context | undefined) =>
    tracing.inSpan(
      `send ${name}`,
      { kind: SpanKind.PRODUCER, parent, attributes: jobAttributes(name) },
      async () => tracing.traceparent(),
    );

  return {
    async enqueue(name, data, options = {}) {
      const trace = await produced(name, options.trace ? tracing.parentOf(options.trace) : undefined);
      return queue.enqueue(name, data, { ...options, trace });
    },
    async enqueueAll(jobs) {
      const traced: NewJob[] = await Promise.all(
        jobs.map(async (job) =>
          job.trace ? { ...job, trace: await produced(job.name, tracing.parentOf(job.trace)) } : job,
        ),
      );
      return queue.enqueueAll(traced);
    },
    process(name, handler) {
      queue.process(name, (data, meta) =>
        tracing.inSpan(
          `process ${name}`,
          {
            kind: SpanKind.CONSUMER,
            parent: tracing.parentOf(meta.trace),
            attributes: {
              ...jobAttributes(name),
              'messaging.message.id': meta.id,
              'amrutam.job.attempt': meta.attempt,
            },
          },
          () => handler(data, meta),
        ),
      );
    },
    dead: (limit, offset) => queue.dead(limit, offset),
    retryDead: (id) => queue.retryDead(id),
    counts: () => queue.counts(),
    close: () => queue.close(),
  };
}

const jobAttributes = (name: string) => ({
  'messaging.system': 'amrutam-jobs',
  'messaging.destination.name': name,
});
