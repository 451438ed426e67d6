/**
 * The Redis-shaped services, one interface per concern. Each has a Redis implementation
 * (redis.ts) for multi-instance deployments and an in-process one (memory.ts) for embedded mode.
 */

export interface Cache {
  /** One round trip for all keys; null where a key is missing. */
  getMany(keys: string[]): Promise<Array<string | null>>;
  setMany(entries: Array<[key: string, value: string]>, ttlMs: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
}

export interface WindowCount {
  count: number;
  /** Milliseconds until the window resets (0 when there is no window). */
  resetInMs: number;
}

/** Fixed-window counters (failed logins and the like). */
export interface Counters {
  hit(key: string, windowMs: number): Promise<WindowCount>;
  /** Adds to several counters in one round trip (each expires `windowMs` after its first add); their new counts. */
  add(increments: Array<[key: string, by: number]>, windowMs: number): Promise<number[]>;
  peek(key: string): Promise<WindowCount>;
  reset(key: string): Promise<void>;
}

export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once subscribed; the returned function unsubscribes. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
}

/**
 * Version counters whose changes fan out: `bumpAndPublish` increments a version and publishes
 * `<version> <message>` on a pub/sub channel as one step (a Redis script), so no subscriber can
 * see the message before the version, and no version moves without its message being sent.
 */
export interface Versions {
  bumpAndPublish(key: string, channel: string, message: string): Promise<number>;
  /** Current versions (0 when never bumped, or not bumped for a week). */
  get(keys: string[]): Promise<number[]>;
}

export const VERSION_TTL_MS = 7 * 86_400_000;

export interface JobOptions {
  /** Same id → the same job; a duplicate enqueue is a no-op while the job is kept. */
  jobId?: string;
  delayMs?: number;
  /** The W3C `traceparent` the job continues (tracing on); carried to the handler's `meta.trace`. */
  trace?: string | null;
}

export interface NewJob {
  name: string;
  data: unknown;
  jobId: string;
  trace?: string | null;
}

export interface DeadJob {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  failedReason: string;
  failedAt: string;
}

export interface JobCounts {
  waiting: number;
  delayed: number;
  active: number;
  dead: number;
}

export type JobHandler = (
  data: unknown,
  meta: { id: string; attempt: number; trace?: string | undefined },
) => Promise<void>;

/** Retries: 5 tries, exponential backoff from 500 ms (×2) with jitter, then the dead-letter list. */
export interface JobQueue {
  enqueue(name: string, data: unknown, options?: JobOptions): Promise<string>;
  /** Several jobs in one round trip (each with its job id, so a repeat is deduplicated). */
  enqueueAll(jobs: NewJob[]): Promise<void>;
  /** Registers the handler for a job name; only processes that call this run jobs. */
  process(name: string, handler: JobHandler): void;
  /** Jobs that used up their tries, newest first, skipping the first `offset`. */
  dead(limit: number, offset?: number): Promise<DeadJob[]>;
  /** A dead job runs again with a fresh set of tries; false when no dead job has this id. */
  retryDead(id: string): Promise<boolean>;
  /** How many jobs are in each state, across every process sharing the queue. */
  counts(): Promise<JobCounts>;
  close(): Promise<void>;
}

export const JOB_ATTEMPTS = 5;
export const JOB_BACKOFF_MS = 500;

/** Exponential backoff with ±25 % jitter: attempt 1 → ~500 ms, 2 → ~1 s, 3 → ~2 s… */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = JOB_BACKOFF_MS * 2 ** (attempt - 1);
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * Thrown by a handler that can't decide before `afterMs` (e.g. what it needs is held by an earlier
 * run that may have died): its next try waits that long instead of the backoff, so the tries are
 * not used up before the answer can change.
 */
export class RetryLater extends Error {
  readonly afterMs: number;
  constructor(message: string, afterMs: number) {
    super(message);
    this.name = 'RetryLater';
    this.afterMs = afterMs;
  }
}

/** The wait before the try after `attempt` failed with `error`. */
export const retryDelayMs = (attempt: number, error: unknown): number =>
  error instanceof RetryLater ? error.afterMs : backoffDelayMs(attempt);

export interface Kv {
  mode: 'redis' | 'memory';
  /** The raw client, for libraries that bring their own Redis store (rate limiting). */
  redis: import('ioredis').Redis | undefined;
  cache: Cache;
  counters: Counters;
  pubsub: PubSub;
  versions: Versions;
  queue: JobQueue;
  ping(): Promise<void>;
  close(): Promise<void>;
}
