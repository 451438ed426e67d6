/**
 * The Redis-shaped services, one interface per concern. Each has a Redis implementation
 * (redis.ts) for multi-instance deployments and an in-process one (memory.ts) for embedded mode.
 */

export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
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
  peek(key: string): Promise<WindowCount>;
  reset(key: string): Promise<void>;
}

export interface Lock {
  release(): Promise<boolean>;
}

/** Short exclusive leases (a token per holder, released only by that holder). Advisory, never a correctness guarantee. */
export interface Locks {
  tryAcquire(key: string, ttlMs: number): Promise<Lock | null>;
}

export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once subscribed; the returned function unsubscribes. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
}

export interface JobOptions {
  /** Same id → the same job; a duplicate enqueue is a no-op while the job is kept. */
  jobId?: string;
  delayMs?: number;
}

export interface DeadJob {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  failedReason: string;
  failedAt: string;
}

export type JobHandler = (data: unknown, meta: { id: string; attempt: number }) => Promise<void>;

/** Retries: 5 tries, exponential backoff from 500 ms (×2) with jitter, then the dead-letter list. */
export interface JobQueue {
  enqueue(name: string, data: unknown, options?: JobOptions): Promise<string>;
  /** Registers the handler for a job name; only processes that call this run jobs. */
  process(name: string, handler: JobHandler): void;
  dead(limit: number): Promise<DeadJob[]>;
  retryDead(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export const JOB_ATTEMPTS = 5;
export const JOB_BACKOFF_MS = 500;

/** Exponential backoff with ±25 % jitter: attempt 1 → ~500 ms, 2 → ~1 s, 3 → ~2 s… */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = JOB_BACKOFF_MS * 2 ** (attempt - 1);
  return Math.round(base * (0.75 + random() * 0.5));
}

export interface Kv {
  mode: 'redis' | 'memory';
  /** The raw client, for libraries that bring their own Redis store (rate limiting). */
  redis: import('ioredis').Redis | undefined;
  cache: Cache;
  counters: Counters;
  locks: Locks;
  pubsub: PubSub;
  queue: JobQueue;
  ping(): Promise<void>;
  close(): Promise<void>;
}
