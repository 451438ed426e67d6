import { randomUUID } from 'node:crypto';
import type { Db } from './db/index.ts';

export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

export type Claim =
  | { kind: 'claimed'; token: string }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

/** SQL for idempotency keys: one row per (user, key), claimed with a lease. */
export function createIdempotencyStore(db: Db) {
  return {
    async claim(
      userId: string,
      key: string,
      fingerprint: string,
      now: Date,
      leaseMs: number,
      ttlMs: number,
    ): Promise<Claim> {
      const leaseEnd = new Date(now.getTime() + leaseMs);
      // One round trip: a new key is inserted; a key older than its time to live is taken over
      // as if the expiry job had already removed it; any other existing key is left alone.
      const token = randomUUID();
      const fresh = {
        fingerprint,
        state: 'in_progress' as const,
        lease_token: token,
        locked_until: leaseEnd,
        created_at: now,
      };
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({ user_id: userId, key, ...fresh })
        .onConflict((oc) =>
          oc
            .columns(['user_id', 'key'])
            .doUpdateSet({ ...fresh, response_status: null, response_type: null, response_body: null })
            .where('idempotency_keys.created_at', '<=', new Date(now.getTime() - ttlMs)),
        )
        .returning('key')
        .executeTakeFirst();
      if (inserted) return { kind: 'claimed', token };
      const row = await db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .executeTakeFirst();
      if (!row) return this.claim(userId, key, fingerprint, now, leaseMs, ttlMs);
      if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (row.state === 'completed') {
        return {
          kind: 'replay',
          response: {
            status: row.response_status!,
            contentType: row.response_type!,
            body: row.response_body!,
          },
        };
      }
      // A request that died mid-way leaves its lease behind; once it lapses, a retry takes over.
      const takeover = await db
        .updateTable('idempotency_keys')
        .set({ locked_until: leaseEnd, lease_token: token })
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .where('state', '=', 'in_progress')
        .where('locked_until', '<=', now)
        .executeTakeFirst();
      return takeover.numUpdatedRows === 1n ? { kind: 'claimed', token } : { kind: 'in_progress' };
    },

    /**
     * Records the answer if `token` still holds the key (false if a retry took it over); `tx` may
     * be the business transaction, so answer and change commit together.
     */
    async complete(
      userId: string,
      key: string,
      token: string,
      response: StoredResponse,
      tx: Db = db,
    ): Promise<boolean> {
      const result = await tx
        .updateTable('idempotency_keys')
        .set({
          state: 'completed',
          locked_until: null,
          response_status: response.status,
          response_type: response.contentType,
          response_body: response.body,
        })
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .where('lease_token', '=', token)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    /** Gives the key back (the request failed in a way the client may simply retry). */
    async release(userId: string, key: string, token: string): Promise<void> {
      await db
        .deleteFrom('idempotency_keys')
        .where('user_id', '=', userId)
        .where('key', '=', key)
        .where('state', '=', 'in_progress')
        .where('lease_token', '=', token)
        .execute();
    },

    async expire(before: Date): Promise<number> {
      const result = await db
        .deleteFrom('idempotency_keys')
        .where('created_at', '<', before)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
