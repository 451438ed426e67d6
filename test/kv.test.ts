import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/platform/clock.ts';
import { backoffDelayMs, type Kv } from '../src/platform/kv.ts';
import { createMemoryKv } from '../src/platform/memory.ts';
import { createRedisKv, RedisPubSub } from '../src/platform/redis.ts';
import { connectRedis } from '../src/platform/redis-connection.ts';
import { REDIS_URL, uniqueName } from './helpers/services.ts';

function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = async () => {
      const value = await check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out waiting'));
      setTimeout(poll, 20);
    };
    void poll();
  });
}

describe.each(['memory', 'redis'] as const)('%s adapters', (mode) => {
  let kv: Kv;
  const clock = new ManualClock();
  beforeAll(async () => {
    kv =
      mode === 'memory'
        ? createMemoryKv(clock)
        : await createRedisKv(REDIS_URL, `${uniqueName('kvtest')}:`, 1000);
  });
  afterAll(() => kv.close());

  it('cache: set and get many in one round trip, delete', async () => {
    await kv.cache.setMany(
      [
        ['a', '1'],
        ['b', '2'],
      ],
      60_000,
    );
    expect(await kv.cache.getMany(['a', 'x', 'b'])).toEqual(['1', null, '2']);
    await kv.cache.del('a');
    expect(await kv.cache.getMany(['a'])).toEqual([null]);
  });

  it('counters: count within a window and report time to reset', async () => {
    const key = uniqueName('c');
    expect(await kv.counters.hit(key, 60_000)).toMatchObject({ count: 1 });
    const second = await kv.counters.hit(key, 60_000);
    expect(second.count).toBe(2);
    expect(second.resetInMs).toBeGreaterThan(50_000);
    expect((await kv.counters.peek(key)).count).toBe(2);
    await kv.counters.reset(key);
    expect((await kv.counters.peek(key)).count).toBe(0);
  });

  it('counters: add to many at once, each expiring a window after its first add', async () => {
    const [a, b] = [uniqueName('ca'), uniqueName('cb')];
    expect(
      await kv.counters.add(
        [
          [a, 3],
          [b, 1],
        ],
        60_000,
      ),
    ).toEqual([3, 1]);
    expect(await kv.counters.add([[a, 2]], 60_000)).toEqual([5]);
    expect((await kv.counters.peek(a)).resetInMs).toBeGreaterThan(50_000);
  });

  it('versions: a bump and its message are one step; subscribers read the version from the message', async () => {
    const channel = uniqueName('vch');
    const key = uniqueName('v');
    const received: string[] = [];
    const unsubscribe = await kv.pubsub.subscribe(channel, (m) => {
      received.push(m);
    });
    expect(await kv.versions.get([key])).toEqual([0]);
    expect(await kv.versions.bumpAndPublish(key, channel, 'hello')).toBe(1);
    expect(await kv.versions.bumpAndPublish(key, channel, 'again')).toBe(2);
    await waitFor(() => (received.length === 2 ? true : undefined));
    expect(received).toEqual(['1 hello', '2 again']);
    expect(await kv.versions.get([key, uniqueName('none')])).toEqual([2, 0]);
    await unsubscribe();
  });

  it('pub/sub: subscribers receive messages until they unsubscribe', async () => {
    const channel = uniqueName('ch');
    const received: string[] = [];
    const unsubscribe = await kv.pubsub.subscribe(channel, (m) => received.push(m));
    await kv.pubsub.publish(channel, 'hello');
    await waitFor(() => (received.length === 1 ? true : undefined));
    await unsubscribe();
    await kv.pubsub.publish(channel, 'ignored');
    await kv.pubsub.publish(`${channel}-other`, 'ignored');
    expect(received).toEqual(['hello']);
  });

  it('queue: runs jobs, deduplicates by job id, retries failures', async () => {
    const name = uniqueName('job');
    const seen: Array<{ data: unknown; attempt: number }> = [];
    kv.queue.process(name, async (data, meta) => {
      seen.push({ data, attempt: meta.attempt });
      if ((data as { failTimes: number }).failTimes >= meta.attempt) throw new Error('transient');
    });
    await kv.queue.enqueue(name, { failTimes: 0, n: 1 }, { jobId: `${name}-1` });
    await kv.queue.enqueue(name, { failTimes: 0, n: 1 }, { jobId: `${name}-1` });
    await kv.queue.enqueue(name, { failTimes: 1, n: 2 }, { jobId: `${name}-2` });
    await waitFor(() =>
      seen.filter((s) => (s.data as { n: number }).n === 2).length === 2 ? true : undefined,
    );
    expect(seen.filter((s) => (s.data as { n: number }).n === 1)).toHaveLength(1);
    expect(seen.filter((s) => (s.data as { n: number }).n === 2).map((s) => s.attempt)).toEqual([1, 2]);
  });

  it('queue: after 5 failed tries a job is dead; an admin can retry it', async () => {
    const name = uniqueName('dead');
    let calls = 0;
    let healed = false;
    kv.queue.process(name, async () => {
      calls += 1;
      if (!healed) throw new Error('always fails');
    });
    const id = await kv.queue.enqueue(name, { x: 1 }, { jobId: `${name}-1` });
    const dead = await waitFor(async () => (await kv.queue.dead(50)).find((j) => j.id === id), 20_000);
    expect(dead).toMatchObject({ name, attempts: 5, failedReason: 'always fails', data: { x: 1 } });
    expect(calls).toBe(5);
    healed = true;
    expect(await kv.queue.retryDead(id)).toBe(true);
    await waitFor(() => (calls === 6 ? true : undefined));
    expect((await kv.queue.dead(50)).find((j) => j.id === id)).toBeUndefined();
    expect(await kv.queue.retryDead('no-such-job')).toBe(false);
  });
});

describe('backoff', () => {
  it('starts at 500 ms, doubles, with ±25 % jitter', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, () => 0.5))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelayMs(1, () => 0)).toBe(375);
    expect(backoffDelayMs(1, () => 1)).toBe(625);
  });
});

describe('Redis pub/sub after a failed SUBSCRIBE', () => {
  it('a later subscriber retries the SUBSCRIBE instead of waiting on a dead channel', async () => {
    const publisher = connectRedis(REDIS_URL);
    const subscriber = connectRedis(REDIS_URL);
    await publisher.connect();
    const pubsub = new RedisPubSub(publisher, subscriber, `${uniqueName('ps')}:`, 1000);
    try {
      // The subscriber connection is down: SUBSCRIBE fails at once (no offline queue).
      await expect(pubsub.subscribe('doctor-1', () => {})).rejects.toThrow();
      // The first command started a connection in the background; wait until it is up.
      if (subscriber.status !== 'ready') await new Promise((resolve) => subscriber.once('ready', resolve));
      const received: string[] = [];
      await pubsub.subscribe('doctor-1', (m) => received.push(m));
      await pubsub.publish('doctor-1', 'slot changed');
      await waitFor(() => (received.length === 1 ? true : undefined));
      expect(received).toEqual(['slot changed']);
    } finally {
      publisher.disconnect();
      subscriber.disconnect();
    }
  });
});
