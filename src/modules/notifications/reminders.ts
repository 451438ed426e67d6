import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { AppointmentStatus } from '../../platform/db/schema.ts';
import type { Outbox } from '../outbox/service.ts';
import * as repo from './repo.ts';

/**
 * Reminders before a confirmed appointment: outbox rows due at the reminder's instant (the relay
 * hands them to the queue when the clock gets there), keyed by appointment and start.
 *
 * Invariants:
 * - Scheduling is idempotent: the reminders of one start are recorded once (notification_reminders)
 *   and their outbox rows written in the same transaction; scheduling again writes nothing.
 * - A reminder whose instant has passed is not scheduled.
 * - A reminder that comes due for an appointment no longer confirmed, or no longer at the start
 *   it was scheduled for (moved, cancelled, expired), sends nothing (`stillDue`). A new start gets
 *   its own reminders when the reschedule is handled.
 */

export const REMINDER_TOPIC = 'notification.reminder';

const HOUR_MS = 3_600_000;
export const REMINDERS = [
  { template: 'reminder_24h', beforeMs: 24 * HOUR_MS },
  { template: 'reminder_1h', beforeMs: HOUR_MS },
] as const;
export type ReminderTemplate = (typeof REMINDERS)[number]['template'];

/** Whether a reminder for the start `scheduledFor` still holds for the appointment as it is now. */
export const stillDue = (
  a: { status: AppointmentStatus; starts_at: Date },
  scheduledFor: string | undefined,
) => a.status === 'confirmed' && a.starts_at.toISOString() === scheduledFor;

export function createReminders(deps: { db: Db; clock: Clock; outbox: Outbox }) {
  const { db, clock, outbox } = deps;

  return {
    /** The reminders of a confirmed appointment's current start, if not scheduled yet; how many were. */
    async schedule(a: { id: string; status: AppointmentStatus; starts_at: Date }): Promise<number> {
      if (a.status !== 'confirmed') return 0;
      const now = clock.now();
      const due = REMINDERS.map((r) => ({
        template: r.template,
        dueAt: new Date(a.starts_at.getTime() - r.beforeMs),
      })).filter((r) => r.dueAt > now);
      return db.transaction().execute(async (tx) => {
        const fresh = await repo.recordReminders(tx, a.id, a.starts_at, due, now);
        await outbox.addAll(
          tx,
          fresh.map((r) => ({
            topic: REMINDER_TOPIC,
            payload: { appointmentId: a.id, startsAt: a.starts_at.toISOString(), template: r.template },
            delayMs: r.due_at.getTime() - now.getTime(),
          })),
        );
        return fresh.length;
      });
    },
  };
}
