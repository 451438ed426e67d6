import { randomUUID } from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  type Cache,
  type Counters,
  type DeadJob,
  JOB_ATTEMPTS,
  JOB_BACKOFF_MS,
  type JobHandler,
  type JobQueue,
  type Kv,
  type Locks,
  type PubSub,
} from './kv.ts';

const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Fails fast while Redis is unreachable instead of queueing commands behind a reconnect. */
export function connectRedis(url: string, options: { forBullmq?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: Boolean(options.forBullmq),
    maxRetriesPerRequest: options.forBullmq ? null : 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}

class RedisCache implements Cache {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}cache:`;
  }
  get(key: string) {
    return this.#redis.get(this.#prefix + key);
  }
  async set(key: string, value: string, ttlMs: number) {
    await this.#redis.set(this.#prefix + key, value, 'PX', ttlMs);
  }
  async del(...keys: string[]) {
    if (keys.length > 0) await this.#redis.del(...keys.map((k) => this.#prefix + k));
  }
}

class RedisCounters implements Counters {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}count:`;
  }
  async hit(key: string, windowMs: number) {
    const [count, pttl] = (await this.#redis.eval(HIT_SCRIPT, 1, this.#prefix + key, windowMs)) as [
      number,
      number,
    ];
    return { count, resetInMs: Math.max(pttl, 0) };
  }
  async peek(key: string) {
    const [count, pttl] = await Promise.all([
      this.#redis.get(this.#prefix + key),
      this.#redis.pttl(this.#prefix + key),
    ]);
    return { count: Number(count ?? 0), resetInMs: Math.max(pttl, 0) };
  }
  async reset(key: string) {
    await this.#redis.del(this.#prefix + key);
  }
}

class RedisLocks implements Locks {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}lock:`;
  }
  async tryAcquire(key: string, ttlMs: number) {
    const token = randomUUID();
    const ok = await this.#redis.set(this.#prefix + key, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;
    return {
      release: async () => (await this.#redis.eval(RELEASE_SCRIPT, 1, this.#prefix + key, token)) === 1,
    };
  }
}

export class RedisPubSub implements PubSub {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  /** Per channel: its handlers, and the SUBSCRIBE every subscriber waits for. */
  readonly #channels = new Map<
    string,
    { handlers: Set<(message: string) => void>; ready: Promise<unknown> }
  >();

  constructor(publisher: Redis, subscriber: Redis, prefix: string) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#prefix = `${prefix}ps:`;
    subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.#channels.get(channel)?.handlers ?? []) handler(message);
    });
  }
  async publish(channel: string, message: string) {
    await this.#publisher.publish(this.#prefix + channel, message);
  }
  async subscribe(channel: string, onMessage: (message: string) => void) {
    const full = this.#prefix + channel;
    let entry = this.#channels.get(full);
    if (!entry) {
      const created = {
        handlers: new Set<(message: string) => void>(),
        ready: this.#subscriber.subscribe(full),
      };
      entry = created;
      this.#channels.set(full, created);
      // A failed SUBSCRIBE must not leave a channel that looks subscribed: the next subscriber retries.
      created.ready.catch(() => {
        if (this.#channels.get(full) === created) this.#channels.delete(full);
      });
    }
    await entry.ready;
    const { handlers } = entry;
    handlers.add(onMessage);
    return async () => {
      handlers.delete(onMessage);
      if (handlers.size === 0 && this.#channels.get(full)?.handlers === handlers) {
        this.#channels.delete(full);
        await this.#subscriber.unsubscribe(full);
      }
    };
  }
}

class BullQueue implements JobQueue {
  readonly #url: string;
  readonly #prefix: string;
  readonly #queue: Queue;
  readonly #handlers = new Map<string, JobHandler>();
  #worker: Worker | undefined;

  constructor(url: string, prefix: string) {
    this.#url = url;
    this.#prefix = `${prefix}bull`;
    this.#queue = new Queue('jobs', {
      connection: connectRedis(url, { forBullmq: true }),
      prefix: this.#prefix,
      defaultJobOptions: {
        attempts: JOB_ATTEMPTS,
        backoff: { type: 'exponential', delay: JOB_BACKOFF_MS, jitter: 0.5 },
        // Completed jobs are kept a day so a re-delivered job id stays deduplicated.
        removeOnComplete: { age: 86_400, count: 100_000 },
        removeOnFail: false,
      },
    });
  }

  async enqueue(name: string, data: unknown, options: { jobId?: string; delayMs?: number } = {}) {
    const job = await this.#queue.add(name, data, {
      ...(options.jobId ? { jobId: options.jobId } : {}),
      ...(options.delayMs ? { delay: options.delayMs } : {}),
    });
    return job.id ?? options.jobId ?? '';
  }

  process(name: string, handler: JobHandler) {
    this.#handlers.set(name, handler);
    this.#worker ??= new Worker(
      'jobs',
      async (job) => {
        const run = this.#handlers.get(job.name);
        if (!run) throw new Error(`no handler for job "${job.name}"`);
        await run(job.data, { id: job.id ?? '', attempt: job.attemptsMade + 1 });
      },
      { connection: connectRedis(this.#url, { forBullmq: true }), prefix: this.#prefix, concurrency: 8 },
    );
  }

  async dead(limit: number): Promise<DeadJob[]> {
    const jobs = await this.#queue.getFailed(0, limit - 1);
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
    const job = await Job.fromId(this.#queue, id);
    if (!job || !(await job.isFailed())) return false;
    await job.retry('failed');
    return true;
  }

  async close() {
    // The worker finishes the jobs it is running before it closes.
    await this.#worker?.close();
    await this.#queue.close();
  }
}

export async function createRedisKv(url: string, prefix: string): Promise<Kv> {
  const client = connectRedis(url);
  const subscriber = connectRedis(url);
  await Promise.all([client.connect(), subscriber.connect()]);
  const queue = new BullQueue(url, prefix);
  return {
    mode: 'redis',
    redis: client,
    cache: new RedisCache(client, prefix),
    counters: new RedisCounters(client, prefix),
    locks: new RedisLocks(client, prefix),
    pubsub: new RedisPubSub(client, subscriber, prefix),
    queue,
    ping: async () => {
      await client.ping();
    },
    close: async () => {
      await queue.close();
      client.disconnect();
      subscriber.disconnect();
    },
  };
}

export { Redis };
