import { sql } from 'kysely';
import type { Db } from '../../platform/db/index.ts';
import type { NotificationChannel } from '../../platform/db/schema.ts';

export interface Choice {
  channel: NotificationChannel;
  category: string;
  enabled: boolean;
}

export function choicesOf(db: Db, userIds: readonly string[]) {
  if (userIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('notification_preferences')
    .select(['user_id', 'channel', 'category', 'enabled'])
    .where('user_id', 'in', userIds)
    .execute();
}

export async function saveChoices(db: Db, userId: string, choices: Choice[], now: Date): Promise<void> {
  await db
    .insertInto('notification_preferences')
    .values(choices.map((c) => ({ user_id: userId, ...c, updated_at: now })))
    .onConflict((oc) =>
      oc.columns(['user_id', 'channel', 'category']).doUpdateSet((eb) => ({
        enabled: eb.ref('excluded.enabled'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

export interface DeliveryKey {
  outboxId: string;
  recipientId: string;
  channel: NotificationChannel;
}

/**
 * Takes the right to send this message: a new one, one whose last send failed, or one whose sender
 * has held it since before `staleBefore` (it died mid-send). Otherwise the row's status: `sent`
 * (nothing to do) or `sending` (someone else is sending it now).
 */
export async function claim(
  db: Db,
  key: DeliveryKey,
  template: string,
  now: Date,
  staleBefore: Date,
): Promise<'claimed' | 'sent' | 'sending'> {
  const { rows } = await sql<{ claimed: boolean; status: 'sending' | 'sent' | 'failed' }>`
    WITH taken AS (
      INSERT INTO notification_deliveries AS d
        (outbox_id, recipient_id, channel, template, status, attempts, claimed_at)
      VALUES (${key.outboxId}::uuid, ${key.recipientId}::uuid, ${key.channel}, ${template}, 'sending', 1, ${now}::timestamptz)
      ON CONFLICT (outbox_id, recipient_id, channel) DO UPDATE
        SET status = 'sending', attempts = d.attempts + 1, claimed_at = excluded.claimed_at, last_error = NULL
        WHERE d.status = 'failed' OR (d.status = 'sending' AND d.claimed_at < ${staleBefore}::timestamptz)
      RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM taken) AS claimed,
      (SELECT status FROM notification_deliveries
       WHERE outbox_id = ${key.outboxId}::uuid AND recipient_id = ${key.recipientId}::uuid
         AND channel = ${key.channel}) AS status`.execute(db);
  const row = rows[0]!;
  return row.claimed ? 'claimed' : row.status === 'sent' ? 'sent' : 'sending';
}

/** The claimed send's outcome: sent (for good), or failed with why (claimable again). */
export async function settle(
  db: Db,
  key: DeliveryKey,
  outcome: { sentAt: Date } | { error: string },
): Promise<void> {
  await db
    .updateTable('notification_deliveries')
    .set(
      'sentAt' in outcome
        ? { status: 'sent', sent_at: outcome.sentAt }
        : { status: 'failed', last_error: outcome.error },
    )
    .where('outbox_id', '=', key.outboxId)
    .where('recipient_id', '=', key.recipientId)
    .where('channel', '=', key.channel)
    .where('status', '=', 'sending')
    .execute();
}

/**
 * A job that no longer applies gives up its messages not sent yet: an earlier run's claim (whose
 * answer may have been lost with the connection) or failure would otherwise stay `sending` or
 * `failed` for good. Sent ones stay: they are history.
 */
export async function withdrawUnsent(db: Db, outboxId: string): Promise<void> {
  await db
    .deleteFrom('notification_deliveries')
    .where('outbox_id', '=', outboxId)
    .where('status', '<>', 'sent')
    .execute();
}

/** The reminders not yet scheduled for this start, now recorded; those that were are left out. */
export function recordReminders(
  db: Db,
  appointmentId: string,
  startsAt: Date,
  reminders: Array<{ template: string; dueAt: Date }>,
  now: Date,
) {
  if (reminders.length === 0) return Promise.resolve([]);
  return db
    .insertInto('notification_reminders')
    .values(
      reminders.map((r) => ({
        appointment_id: appointmentId,
        starts_at: startsAt,
        template: r.template,
        due_at: r.dueAt,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .returning(['template', 'due_at'])
    .execute();
}

/** Delivery records claimed before `deliveredBefore`, reminders for starts before `startedBefore`. */
export async function prune(db: Db, deliveredBefore: Date, startedBefore: Date): Promise<number> {
  const deliveries = await db
    .deleteFrom('notification_deliveries')
    .where('claimed_at', '<', deliveredBefore)
    .executeTakeFirst();
  const reminders = await db
    .deleteFrom('notification_reminders')
    .where('starts_at', '<', startedBefore)
    .executeTakeFirst();
  return Number(deliveries.numDeletedRows) + Number(reminders.numDeletedRows);
}
