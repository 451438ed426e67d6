import { Counter, Gauge, Histogram } from 'prom-client';
import type { JobQueue } from './kv.ts';
import type { Metrics } from './metrics.ts';
import { withTimeout } from './timeout.ts';

const COUNT_TIMEOUT_MS = 1_000;

/**
 * The job queue as /metrics sees it: every handler this process runs is timed and its failures
 * counted (`job_duration_seconds`, `job_failures_total`, by job name), and each scrape reads the
 * queue's depth and dead letters (`job_queue_jobs` by state; shared by every process on the queue).
 * A queue that can't be counted leaves the gauge as it was instead of failing the scrape. On BullMQ
 * the first scrape opens the queue's connection in an API instance that doesn't run jobs: the
 * worker has no /metrics, so the API reports the depth every process shares.
 */
export function observedQueue(queue: JobQueue, metrics: Metrics): JobQueue {
  const registers = [metrics.registry];
  const duration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Time a job handler ran, by job name and outcome (ok, failed)',
    labelNames: ['name', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const failures = new Counter({
    name: 'job_failures_total',
    help: 'Failed tries by job name (a job is retried, then dead after its last try)',
    labelNames: ['name'] as const,
    registers,
  });
  new Gauge({
    name: 'job_queue_jobs',
    help: 'Jobs by state: waiting, delayed (a retry waiting out its backoff), active, dead (the dead-letter list)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const counts = await withTimeout(queue.counts(), COUNT_TIMEOUT_MS, 'job queue').catch(() => undefined);
      for (const [state, n] of Object.entries(counts ?? {})) this.set({ state }, n);
    },
  });

  return {
    enqueue: (name, data, options) => queue.enqueue(name, data, options),
    enqueueAll: (jobs) => queue.enqueueAll(jobs),
    process(name, handler) {
      queue.process(name, async (data, meta) => {
        const done = duration.startTimer({ name });
        try {
          await handler(data, meta);
          done({ outcome: 'ok' });
        } catch (error) {
          done({ outcome: 'failed' });
          failures.inc({ name });
          throw error;
        }
      });
    },
    dead: (limit, offset) => queue.dead(limit, offset),
    retryDead: (id) => queue.retryDead(id),
    counts: () => queue.counts(),
    close: () => queue.close(),
  };
}
