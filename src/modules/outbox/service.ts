import { type RawBuilder, sql } from 'kysely';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { JobQueue } from '../../platform/kv.ts';
import type { Metrics } from '../../platform/metrics.ts';
import { withTimeout } from '../../platform/timeout.ts';

const BATCH = 100;
const ENQUEUE_TIMEOUT_MS = 5_000;

export interface OutboxMessage {
  topic: string;
  payload: Record<string, unknown>;
  /** Not before this many milliseconds from now. */
  delayMs?: number;
}

/**
 * Transactional outbox: a change and the jobs it implies commit together (`add` inside the
 * caller's transaction). The relay moves committed rows to the job queue, using the row id as
 * the job id so a re-delivery after a crash is deduplicated; if the queue is down the rows wait.
 */
export function createOutbox(deps: {
  db: Db;
  clock: Clock;
  queue: JobQueue;
  metrics: Metrics;
  logger: Logger;
  /** The active trace's `traceparent` (null when tracing is off): stored with each row. */
  traceparent: () => string | null;
}) {
  const { db, clock, queue, traceparent } = deps;
  new Gauge({
    name: 'outbox_lag_seconds',
    // Due time, not creation: a reminder written days ahead is not late until it is due.
    help: 'How long the most overdue outbox row has waited to be handed to the job queue',
    registers: [deps.metrics.registry],
    async collect() {
      const row = await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.min('available_at').as('oldest'))
        .where('sent_at', 'is', null)
        .executeTakeFirst();
      const oldest = row?.oldest as Date | null | undefined;
      this.set(oldest ? Math.max(0, (clock.now().getTime() - new Date(oldest).getTime()) / 1000) : 0);
    },
  });

  return {
    async add(
      tx: Db,
      topic: string,
      payload: Record<string, unknown>,
      options: { delayMs?: number } = {},
    ): Promise<void> {
      await this.addAll(tx, [{ topic, payload, ...options }]);
    },

    /** Several jobs in one statement (one round trip on the booking path). */
    async addAll(tx: Db, messages: OutboxMessage[]): Promise<void> {
      if (messages.length === 0) return;
      const now = clock.now();
      const trace = traceparent();
      await tx
        .insertInto('outbox')
        .values(
          messages.map((m) => ({
            topic: m.topic,
            payload: JSON.stringify(m.payload),
            created_at: now,
            available_at: new Date(now.getTime() + (m.delayMs ?? 0)),
            trace,
          })),
        )
        .execute();
    },

    /**
     * For single-statement writes: an INSERT (to use as a data-modifying CTE) of one job per row of
     * `from`, its topic and payload computed in SQL from that row; due at once.
     */
    addSql(
      topic: RawBuilder<unknown>,
      payload: RawBuilder<unknown>,
      from: RawBuilder<unknown>,
    ): RawBuilder<unknown> {
      const now = clock.now();
      return sql`
        INSERT INTO outbox (topic, payload, created_at, available_at, trace)
        SELECT ${topic}, ${payload}, ${now}::timestamptz, ${now}::timestamptz, ${traceparent()}::text FROM ${from}`;
    },

    /** Hands due rows to the queue; safe to run in several processes at once. Returns how many went. */
    async relay(): Promise<number> {
      let total = 0;
      for (;;) {
        const sent = await db.transaction().execute(async (tx) => {
          const rows = await tx
            .selectFrom('outbox')
            .selectAll()
            .where('sent_at', 'is', null)
            .where('available_at', '<=', clock.now())
            .orderBy('available_at')
            .orderBy('created_at')
            .limit(BATCH)
            .forUpdate()
            .skipLocked()
            .execute();
          // One round trip for the batch. A queue that doesn't answer must not hold these rows
          // locked: give up, roll back, retry next tick (the job ids make a repeat harmless).
          await withTimeout(
            queue.enqueueAll(
              rows.map((row) => ({ name: row.topic, data: row.payload, jobId: row.id, trace: row.trace })),
            ),
            ENQUEUE_TIMEOUT_MS,
            'job queue',
          );
          if (rows.length > 0) {
            await tx
              .updateTable('outbox')
              .set({ sent_at: clock.now() })
              .where(
                'id',
                'in',
                rows.map((r) => r.id),
              )
              .execute();
          }
          return rows.length;
        });
        total += sent;
        if (sent < BATCH) return total;
      }
    },

    /** Sent rows older than `olderThanMs` are removed (the queue keeps its own history). */
    async prune(olderThanMs: number): Promise<number> {
      const result =
        await sql`DELETE FROM outbox WHERE sent_at < ${new Date(clock.now().getTime() - olderThanMs)}`.execute(
          db,
        );
      return Number(result.numAffectedRows ?? 0);
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
