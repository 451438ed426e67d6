import { Redis } from 'ioredis';
import { BullQueue } from './bull-queue.ts';
import { type Cache, type Counters, type Kv, type PubSub, VERSION_TTL_MS, type Versions } from './kv.ts';
import { connectRedis, disconnected } from './redis-connection.ts';
import { withTimeout } from './timeout.ts';
import type { Tracing } from './tracing.ts';

const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;
const BUMP_AND_PUBLISH_SCRIPT = `
local version = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], version .. ' ' .. ARGV[3])
return version`;

/** Scripts run by EVALSHA (ioredis' defineCommand sends the body only when Redis doesn't know it yet). */
type ScriptedRedis = Redis & {
  hitCounter(key: string, windowMs: number): Promise<[number, number]>;
  bumpAndPublish(key: string, ttlMs: number, channel: string, message: string): Promise<number>;
};

class RedisCache implements Cache {
  readonly #redis: Redis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}cache:`;
  }
  async getMany(keys: string[]) {
    return keys.length === 0 ? [] : this.#redis.mget(...keys.map((k) => this.#prefix + k));
  }
  async setMany(entries: Array<[string, string]>, ttlMs: number) {
    if (entries.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const [key, value] of entries) pipeline.set(this.#prefix + key, value, 'PX', ttlMs);
    await pipeline.exec();
  }
  async del(...keys: string[]) {
    if (keys.length > 0) await this.#redis.del(...keys.map((k) => this.#prefix + k));
  }
}

class RedisCounters implements Counters {
  readonly #redis: ScriptedRedis;
  readonly #prefix: string;
  constructor(redis: Redis, prefix: string) {
    // EVALSHA: Redis is sent the script's body only the first time.
    redis.defineCommand('hitCounter', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.#redis = redis as ScriptedRedis;
    this.#prefix = `${prefix}count:`;
  }
  async hit(key: string, windowMs: number) {
    const [count, pttl] = await this.#redis.hitCounter(this.#prefix + key, windowMs);
    return { count, resetInMs: Math.max(pttl, 0) };
  }
  async add(increments: Array<[string, number]>, windowMs: number) {
    if (increments.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const [key, by] of increments) {
      pipeline.incrby(this.#prefix + key, by);
      pipeline.pexpire(this.#prefix + key, windowMs, 'NX');
    }
    const results = (await pipeline.exec()) ?? [];
    return increments.map((_, i) => {
      const [error, count] = results[i * 2] ?? [new Error('no reply'), 0];
      if (error) throw error;
      return Number(count);
    });
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

export class RedisPubSub implements PubSub {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  /** Per channel: its handlers, and the SUBSCRIBE every subscriber waits for. */
  readonly #channels = new Map<
    string,
    { handlers: Set<(message: string) => void>; ready: Promise<unknown> }
  >();

  readonly #timeoutMs: number;

  /** `timeoutMs`: how long a SUBSCRIBE may take (the subscriber connection has no command timeout). */
  constructor(publisher: Redis, subscriber: Redis, prefix: string, timeoutMs: number) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#timeoutMs = timeoutMs;
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
        ready: withTimeout(this.#subscriber.subscribe(full), this.#timeoutMs, 'Redis SUBSCRIBE'),
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

class RedisVersions implements Versions {
  readonly #redis: ScriptedRedis;
  readonly #prefix: string;
  readonly #channelPrefix: string;
  constructor(redis: Redis, prefix: string) {
    redis.defineCommand('bumpAndPublish', { numberOfKeys: 1, lua: BUMP_AND_PUBLISH_SCRIPT });
    this.#redis = redis as ScriptedRedis;
    this.#prefix = `${prefix}ver:`;
    this.#channelPrefix = `${prefix}ps:`;
  }
  bumpAndPublish(key: string, channel: string, message: string) {
    return this.#redis.bumpAndPublish(
      this.#prefix + key,
      VERSION_TTL_MS,
      this.#channelPrefix + channel,
      message,
    );
  }
  async get(keys: string[]) {
    if (keys.length === 0) return [];
    const values = await this.#redis.mget(...keys.map((k) => this.#prefix + k));
    return values.map((v) => Number(v ?? 0));
  }
}

export async function createRedisKv(
  url: string,
  prefix: string,
  commandTimeoutMs: number,
  onQueueError: (error: Error) => void = () => {},
  tracing: Tracing | null = null,
): Promise<Kv> {
  const client = connectRedis(url, { commandTimeoutMs, tracing });
  const subscriber = connectRedis(url);
  await Promise.all([client.connect(), subscriber.connect()]);
  const queue = new BullQueue(url, prefix, onQueueError);
  return {
    mode: 'redis',
    redis: client,
    cache: new RedisCache(client, prefix),
    counters: new RedisCounters(client, prefix),
    pubsub: new RedisPubSub(client, subscriber, prefix, commandTimeoutMs),
    versions: new RedisVersions(client, prefix),
    queue,
    ping: async () => {
      await client.ping();
    },
    close: async () => {
      await queue.close();
      await Promise.all([client, subscriber].map(disconnected));
    },
  };
}

export { Redis };
