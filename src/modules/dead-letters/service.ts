import { z } from 'zod';
import { decodeCursor, encodeCursor, notFound, type RequestMeta } from '../../http/index.ts';
import type { Db } from '../../platform/db/index.ts';
import type { JobQueue } from '../../platform/kv.ts';
import type { AuditService } from '../audit/service.ts';

/**
 * The dead-letter list: jobs that failed every try (kv.ts: 5, with backoff), kept by the queue
 * (BullMQ's failed set, or the in-process queue's list) until an admin retries them.
 *
 * Invariants:
 * - A retry gives the job a fresh set of tries; it is audited in the same transaction, which
 *   commits only if the queue took the retry (an id that is not a dead job is 404, nothing written).
 * - The list reads newest first by position: a page may repeat or skip a letter that died or was
 *   retried meanwhile (the list is short-lived by nature; a cursor carries only the position).
 */

const positionShape = z.object({ o: z.number().int().min(0).max(1_000_000) });

export function createDeadLetters(deps: { db: Db; queue: JobQueue; audit: AuditService }) {
  const { db, queue, audit } = deps;

  return {
    async list(q: { limit: number; cursor?: string | undefined }) {
      const offset = decodeCursor(q.cursor, positionShape)?.o ?? 0;
      const jobs = await queue.dead(q.limit + 1, offset);
      return {
        items: jobs.slice(0, q.limit),
        nextCursor: jobs.length > q.limit ? encodeCursor({ o: offset + q.limit }) : null,
      };
    },

    async retry(id: string, meta: RequestMeta): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await audit.record(tx, meta, { action: 'job.dead_retried', entity: 'job', entityId: id });
        if (!(await queue.retryDead(id))) throw notFound('Dead job');
      });
    },
  };
}

export type DeadLetters = ReturnType<typeof createDeadLetters>;
