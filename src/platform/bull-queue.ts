import type { ConnectionOptions, Queue, Worker } from 'bullmq';
import {
  type DeadJob,
  JOB_ATTEMPTS,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  type NewJob,
  retryDelayMs,
} from './kv.ts';
import { isDependencyDown } from './unavailable.ts';

/**
 * BullMQ's connection settings from a redis:// URL. BullMQ opens and closes these connections
 * itself: a connection handed to it stays open after close(), and closing it under BullMQ's feet
 * made it emit an 'error' nobody listened to any more, which ended the process.
 */
function connectionOf(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number(u.pathname.slice(1) || 0),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    connectTimeout: 2000,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
}

/** How long one try of a job waits out PostgreSQL or Redis being down before it counts as failed. */
const OUTAGE_WAIT_MS = 30_000;

/**
 * Runs a try of a job again while it fails because a dependency is down (backoff 0.5 s → 5 s), for up
 * to OUTAGE_WAIT_MS: the tries' own backoff adds up to ~8 s, and a database restart must not use
 * them all up and dead-letter the job. Handlers may run twice (kv.ts), so running again is safe.
 */
async function throughOutages(attempt: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + OUTAGE_WAIT_MS;
  for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isDependencyDown(error) || Date.now() + delay > deadline) throw error;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** A job's trace rides in BullMQ's own field for context propagation (stored with the job). */
const traceOption = (trace: string | null | undefined) => (trace ? { telemetry: { metadata: trace } } : {});

/**
 * The job queue on BullMQ. BullMQ is loaded, and its connections opened, on first use: an API
 * instance that never touches the queue (the worker relays the outbox) doesn't carry it.
 */
export class BullQueue implements JobQueue {
  readonly #url: string;
  readonly #prefix: string;
  readonly #handlers = new Map<string, JobHandler>();
  #queue: Promise<Queue> | undefined;
  #worker: Promise<Worker> | undefined;

  readonly #onError: (error: Error) => void;

  /** `onError`: what the worker reports (an EventEmitter 'error' nobody listens to would end the process). */
  constructor(url: string, prefix: string, onError: (error: Error) => void) {
    this.#url = url;
    this.#prefix = `${prefix}bull`;
    this.#onError = onError;
  }

  /** The queue, ready (its first use waits for the connection, and fails loudly without one). */
  #open(): Promise<Queue> {
    this.#queue ??= import('bullmq').then(async ({ Queue }) => {
      const queue = new Queue('jobs', {
        connection: this.#connect(),
        prefix: this.#prefix,
        defaultJobOptions: {
          attempts: JOB_ATTEMPTS,
          // The worker's backoffStrategy: the same delays as the in-process queue (kv.ts).
          backoff: { type: 'policy' },
          // Completed jobs are kept a day so a re-delivered job id stays deduplicated.
          removeOnComplete: { age: 86_400, count: 100_000 },
          removeOnFail: false,
        },
      });
      queue.on('error', this.#onError);
      await queue.waitUntilReady();
      return queue;
    });
    return this.#queue;
  }

  async enqueue(name: string, data: unknown, options: JobOptions = {}) {
    const job = await (await this.#open()).add(name, data, {
      ...(options.jobId ? { jobId: options.jobId } : {}),
      ...(options.delayMs ? { delay: options.delayMs } : {}),
      ...traceOption(options.trace),
    });
    return job.id ?? options.jobId ?? '';
  }

  async enqueueAll(jobs: NewJob[]) {
    if (jobs.length === 0) return;
    await (await this.#open()).addBulk(
      jobs.map((j) => ({ name: j.name, data: j.data, opts: { jobId: j.jobId, ...traceOption(j.trace) } })),
    );
  }

  process(name: string, handler: JobHandler) {
    this.#handlers.set(name, handler);
    this.#worker ??= import('bullmq').then(({ Worker }) =>
      new Worker(
        'jobs',
        async (job) => {
          const run = this.#handlers.get(job.name);
          if (!run) throw new Error(`no handler for job "${job.name}"`);
          await throughOutages(() =>
            run(job.data, {
              id: job.id ?? '',
              attempt: job.attemptsMade + 1,
              trace: job.opts.telemetry?.metadata,
            }),
          );
        },
        {
          connection: this.#connect(),
          prefix: this.#prefix,
          concurrency: 8,
          settings: {
            backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
              retryDelayMs(attemptsMade, error),
          },
        },
      ).on('error', this.#onError),
    );
  }

  async dead(limit: number, offset = 0): Promise<DeadJob[]> {
    const jobs = await (await this.#open()).getFailed(offset, offset + limit - 1);
    return jobs.map((job) => ({
      id: job.id ?? '',
      name: job.name,
      data: job.data,
      attempts: job.attemptsMade,
      failedReason: job.failedReason,
      failedAt: new Date(job.finishedOn ?? job.timestamp).toISOString(),
    }));
  }

  async retryDead(id: string) {
    const [{ Job }, queue] = await Promise.all([import('bullmq'), this.#open()]);
    const job = await Job.fromId(queue, id);
    if (!job || !(await job.isFailed())) return false;
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  }

  async counts() {
    const c = await (await this.#open()).getJobCounts('wait', 'delayed', 'active', 'failed');
    return { waiting: c.wait ?? 0, delayed: c.delayed ?? 0, active: c.active ?? 0, dead: c.failed ?? 0 };
  }

  async close() {
    // The worker finishes the jobs it is running before it closes.
    await (await this.#worker)?.close();
    await (await this.#queue?.catch(() => undefined))?.close();
  }

  #connect(): ConnectionOptions {
    return connectionOf(this.#url);
  }
}
