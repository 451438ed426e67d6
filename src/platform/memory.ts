import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from './clock.ts';
import {
  type Cache,
  type Counters,
  type DeadJob,
  JOB_ATTEMPTS,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  type Kv,
  type NewJob,
  type PubSub,
  retryDelayMs,
  VERSION_TTL_MS,
  type Versions,
  type WindowCount,
} from './kv.ts';

/** Expiring entries measured on the injected clock, so tests can move time. */
class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #clock: Clock;
  constructor(clock: Clock) {
    this.#clock = clock;
  }
  get(key: string): { value: V; expiresAt: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#clock.now().getTime()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
  set(key: string, value: V, ttlMs: number): void {
    // Bounded growth: sweep expired entries now and then.
    if (this.#entries.size > 10_000) for (const k of this.#entries.keys()) this.get(k);
    this.#entries.set(key, { value, expiresAt: this.#clock.now().getTime() + ttlMs });
  }
  delete(key: string): void {
    this.#entries.delete(key);
  }
}

class MemoryCache implements Cache {
  readonly #map: ExpiringMap<string>;
  constructor(clock: Clock) {
    this.#map = new ExpiringMap(clock);
  }
  async getMany(keys: string[]) {
    return keys.map((key) => this.#map.get(key)?.value ?? null);
  }
  async setMany(entries: Array<[string, string]>, ttlMs: number) {
    for (const [key, value] of entries) this.#map.set(key, value, ttlMs);
  }
  async del(...keys: string[]) {
    for (const key of keys) this.#map.delete(key);
  }
}

class MemoryCounters implements Counters {
  readonly #map: ExpiringMap<number>;
  readonly #clock: Clock;
  constructor(clock: Clock) {
    this.#map = new ExpiringMap(clock);
    this.#clock = clock;
  }
  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const entry = this.#map.get(key);
    if (!entry) {
      this.#map.set(key, 1, windowMs);
      return { count: 1, resetInMs: windowMs };
    }
    entry.value += 1;
    return { count: entry.value, resetInMs: entry.expiresAt - this.#clock.now().getTime() };
  }
  async add(increments: Array<[string, number]>, windowMs: number) {
    return increments.map(([key, by]) => {
      const entry = this.#map.get(key);
      if (!entry) {
        this.#map.set(key, by, windowMs);
        return by;
      }
      entry.value += by;
      return entry.value;
    });
  }
  async peek(key: string): Promise<WindowCount> {
    const entry = this.#map.get(key);
    return entry
      ? { count: entry.value, resetInMs: entry.expiresAt - this.#clock.now().getTime() }
      : { count: 0, resetInMs: 0 };
  }
  async reset(key: string) {
    this.#map.delete(key);
  }
}

class MemoryPubSub implements PubSub {
  readonly #emitter = new EventEmitter().setMaxListeners(0);
  async publish(channel: string, message: string) {
    // Asynchronous like Redis: a publisher never runs subscriber code on its own stack.
    queueMicrotask(() => this.#emitter.emit(channel, message));
  }
  async subscribe(channel: string, onMessage: (message: string) => void) {
    this.#emitter.on(channel, onMessage);
    return async () => {
      this.#emitter.off(channel, onMessage);
    };
  }
}

class MemoryVersions implements Versions {
  readonly #counters: MemoryCounters;
  readonly #pubsub: MemoryPubSub;
  constructor(counters: MemoryCounters, pubsub: MemoryPubSub) {
    this.#counters = counters;
    this.#pubsub = pubsub;
  }
  async bumpAndPublish(key: string, channel: string, message: string) {
    const { count } = await this.#counters.hit(`ver:${key}`, VERSION_TTL_MS);
    await this.#pubsub.publish(channel, `${count} ${message}`);
    return count;
  }
  async get(keys: string[]) {
    return Promise.all(keys.map(async (k) => (await this.#counters.peek(`ver:${k}`)).count));
  }
}

interface PendingJob {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  trace?: string | undefined;
}

/** In-process queue with the same retry and dead-letter behaviour as the BullMQ one. */
export class MemoryQueue implements JobQueue {
  readonly #handlers = new Map<string, JobHandler>();
  readonly #known = new Set<string>();
  readonly #dead = new Map<string, DeadJob>();
  readonly #waiting: PendingJob[] = [];
  /** Each scheduled run, and whether it waits out a delay (delayed) or is due (waiting). */
  readonly #timers = new Map<NodeJS.Timeout, { delayed: boolean }>();
  readonly #running = new Set<Promise<void>>();
  readonly #clock: Clock;
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async enqueue(name: string, data: unknown, options: JobOptions = {}) {
    const id = options.jobId ?? randomUUID();
    if (this.#known.has(id)) return id;
    this.#known.add(id);
    this.#schedule({ id, name, data, attempts: 0, trace: options.trace ?? undefined }, options.delayMs ?? 0);
    return id;
  }

  async enqueueAll(jobs: NewJob[]) {
    for (const job of jobs) await this.enqueue(job.name, job.data, { jobId: job.jobId, trace: job.trace });
  }

  process(name: string, handler: JobHandler) {
    this.#handlers.set(name, handler);
    for (const job of this.#waiting.splice(0).filter((j) => j.name === name)) this.#schedule(job, 0);
  }

  async dead(limit: number, offset = 0) {
    return [...this.#dead.values()].reverse().slice(offset, offset + limit);
  }

  async retryDead(id: string) {
    const job = this.#dead.get(id);
    if (!job) return false;
    this.#dead.delete(id);
    this.#schedule({ id, name: job.name, data: job.data, attempts: 0 }, 0);
    return true;
  }

  async counts() {
    const delayed = [...this.#timers.values()].filter((t) => t.delayed).length;
    return {
      waiting: this.#waiting.length + this.#timers.size - delayed,
      delayed,
      active: this.#running.size,
      dead: this.#dead.size,
    };
  }

  async close() {
    this.#closed = true;
    for (const timer of this.#timers.keys()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#running]);
  }

  #schedule(job: PendingJob, delayMs: number) {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      const run = this.#run(job).finally(() => this.#running.delete(run));
      this.#running.add(run);
    }, delayMs);
    this.#timers.set(timer, { delayed: delayMs > 0 });
  }

  async #run(job: PendingJob) {
    const handler = this.#handlers.get(job.name);
    if (!handler) {
      this.#waiting.push(job);
      return;
    }
    job.attempts += 1;
    try {
      await handler(job.data, { id: job.id, attempt: job.attempts, trace: job.trace });
      this.#known.delete(job.id);
    } catch (error) {
      if (job.attempts < JOB_ATTEMPTS) {
        this.#schedule(job, retryDelayMs(job.attempts, error));
        return;
      }
      this.#dead.set(job.id, {
        id: job.id,
        name: job.name,
        data: job.data,
        attempts: job.attempts,
        failedReason: error instanceof Error ? error.message : String(error),
        failedAt: this.#clock.now().toISOString(),
      });
    }
  }
}

export function createMemoryKv(clock: Clock): Kv {
  const queue = new MemoryQueue(clock);
  const counters = new MemoryCounters(clock);
  const pubsub = new MemoryPubSub();
  return {
    mode: 'memory',
    redis: undefined,
    cache: new MemoryCache(clock),
    counters,
    pubsub,
    versions: new MemoryVersions(counters, pubsub),
    queue,
    ping: async () => {},
    close: () => queue.close(),
  };
}
