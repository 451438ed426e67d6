import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { AppointmentStatus, ConsultationMode } from '../../platform/db/schema.ts';
import { RetryLater } from '../../platform/kv.ts';
import type { Mailer } from '../../platform/mail.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { SmsSender } from '../../platform/sms.ts';
import type { AuditService } from '../audit/service.ts';
import type { Outbox } from '../outbox/service.ts';
import { type Contact, createDelivery, type Outgoing } from './delivery.ts';
import { CATEGORY_OF, CHANNELS, createPreferences } from './preferences.ts';
import { createReminders, REMINDER_TOPIC, REMINDERS, stillDue } from './reminders.ts';
import * as repo from './repo.ts';
import { render, type Template } from './templates/index.ts';

/**
 * Notifications: the outbox topics below, each turned into messages to the people concerned, by
 * the channels they chose, in their language. Handlers run in the job queue (every process that
 * runs jobs, with its retry policy), so every one of them may run twice.
 *
 * Invariants:
 * - A job sends each message once however often it runs (delivery.ts); a job with a message that
 *   failed fails, and its retry sends only what is missing.
 * - A message about a state that no longer holds is not sent (`STILL_TRUE`): a reminder for a
 *   start that moved, a payment failure after the booking was paid, a confirmation after a cancel.
 * - Confirmation and reschedule schedule the reminders of the appointment's current start (reminders.ts).
 * - Other modules are read through the ports in `NotificationSources` (wired in services.ts).
 */

export const NOTIFICATION_TOPICS = [
  'appointment.confirmed',
  'appointment.rescheduled',
  'appointment.cancelled',
  'appointment.expired',
  'payment.failed',
  'prescription.ready',
  REMINDER_TOPIC,
] as const;
export type NotificationTopic = (typeof NOTIFICATION_TOPICS)[number];

const TEMPLATE_OF: Record<Exclude<NotificationTopic, typeof REMINDER_TOPIC>, Template> = {
  'appointment.confirmed': 'confirmed',
  'appointment.rescheduled': 'rescheduled',
  'appointment.cancelled': 'cancelled',
  'appointment.expired': 'hold_expired',
  'payment.failed': 'payment_failed',
  'prescription.ready': 'prescription_ready',
};

type Party = 'patient' | 'doctor';
const AUDIENCE: Record<Template, Party[]> = {
  confirmed: ['patient', 'doctor'],
  rescheduled: ['patient', 'doctor'],
  cancelled: ['patient', 'doctor'],
  hold_expired: ['patient'],
  payment_failed: ['patient'],
  reminder_24h: ['patient', 'doctor'],
  reminder_1h: ['patient', 'doctor'],
  prescription_ready: ['patient'],
};

/** What the outbox rows of these topics carry (each has more or less of it). */
const jobData = z.object({
  appointmentId: z.uuid(),
  by: z.enum(['patient', 'doctor', 'admin']).optional(),
  refundMinor: z.number().int().min(0).optional(),
  startsAt: z.iso.datetime().optional(),
  template: z.enum(REMINDERS.map((r) => r.template)).optional(),
});
type JobData = z.infer<typeof jobData>;

/** An appointment as messages need it (appointments' `summary`). */
export interface AppointmentFacts {
  id: string;
  status: AppointmentStatus;
  starts_at: Date;
  mode: ConsultationMode;
  doctor_id: string;
  patient_id: string;
  doctor_name: string;
  patient_name: string;
  fee_minor: number;
  currency: string;
  hold_expires_at: Date | null;
}

const STILL_TRUE: Record<Template, (a: AppointmentFacts, job: JobData) => boolean> = {
  confirmed: (a) => a.status !== 'cancelled',
  rescheduled: (a) => a.status === 'pending_payment' || a.status === 'confirmed',
  cancelled: () => true,
  hold_expired: (a) => a.status === 'expired',
  payment_failed: (a) => a.status === 'pending_payment',
  reminder_24h: (a, job) => stillDue(a, job.startsAt),
  reminder_1h: (a, job) => stillDue(a, job.startsAt),
  prescription_ready: () => true,
};

/** How notifications read other modules: ports, wired in services.ts. */
export interface NotificationSources {
  appointment(id: string): Promise<AppointmentFacts | undefined>;
  contacts(userIds: string[]): Promise<Contact[]>;
  /** The doctor's IANA zone: what the app shows times in. */
  doctorZone(doctorId: string): Promise<string>;
}

const DAY_MS = 86_400_000;

export function createNotifications(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  outbox: Outbox;
  mailer: Mailer;
  sms: SmsSender;
  sources: NotificationSources;
  metrics: Metrics;
  logger: Logger;
  publicUrl: string;
}) {
  const { db, clock, sources, logger } = deps;
  const preferences = createPreferences({ ...deps, contacts: sources.contacts });
  const reminders = createReminders(deps);
  const delivery = createDelivery(deps);

  /** Every message of this job: each recipient, each channel they want it by. */
  async function messagesOf(outboxId: string, template: Template, a: AppointmentFacts, job: JobData) {
    const ids = AUDIENCE[template].map((party) => (party === 'patient' ? a.patient_id : a.doctor_id));
    const [contacts, zone] = await Promise.all([sources.contacts(ids), sources.doctorZone(a.doctor_id)]);
    const wanted = await preferences.effective(contacts);
    const now = clock.now();
    const facts = {
      appointmentId: a.id,
      doctorName: a.doctor_name,
      patientName: a.patient_name,
      mode: a.mode,
      startsAt: a.starts_at,
      zone,
      feeMinor: a.fee_minor,
      currency: a.currency,
      holdExpiresAt:
        a.status === 'pending_payment' && a.hold_expires_at && a.hold_expires_at > now
          ? a.hold_expires_at
          : null,
      cancelledBy: job.by ?? null,
      refundMinor: job.refundMinor ?? null,
      publicUrl: deps.publicUrl,
    };
    return contacts.flatMap((to): Outgoing[] => {
      const role: Party = to.id === a.patient_id ? 'patient' : 'doctor';
      const message = render(template, { role, name: to.name, locale: to.locale }, facts);
      return CHANNELS.filter(
        (channel) => wanted.get(to.id)?.[channel][CATEGORY_OF[template]] && (channel === 'email' || to.phone),
      ).map((channel) => ({ outboxId, template, to, channel, message }));
    });
  }

  return {
    preferences: { get: preferences.get, put: preferences.put },

    /** The job for one outbox row of a NOTIFICATION_TOPICS topic; `outboxId` is its job id. */
    async handle(topic: NotificationTopic, data: unknown, outboxId: string): Promise<void> {
      const job = jobData.parse(data);
      const a = await sources.appointment(job.appointmentId);
      if (!a) return; // gone: nobody to tell
      if (topic === 'appointment.confirmed' || topic === 'appointment.rescheduled') {
        await reminders.schedule(a);
      }
      const template = topic === REMINDER_TOPIC ? job.template : TEMPLATE_OF[topic];
      if (!template) throw new Error(`${topic} without a template`);
      if (!STILL_TRUE[template](a, job)) {
        logger.debug({ topic, outboxId, status: a.status }, 'notification no longer applies; not sent');
        await repo.withdrawUnsent(db, outboxId);
        return;
      }
      const outcomes = await Promise.allSettled(
        (await messagesOf(outboxId, template, a, job)).map((m) => delivery.send(m)),
      );
      const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
      if (failed.length > 0) {
        const message = `${template}: ${failed.map((e) => e.message).join('; ')}`;
        const later = failed.flatMap((e) => (e instanceof RetryLater ? [e.afterMs] : []));
        throw later.length > 0 ? new RetryLater(message, Math.max(...later)) : new Error(message);
      }
    },

    /** Delivery records past any redelivery (90 days), reminders of starts more than a week ago. */
    async prune(): Promise<number> {
      const now = clock.now().getTime();
      return repo.prune(db, new Date(now - 90 * DAY_MS), new Date(now - 7 * DAY_MS));
    },
  };
}

export type NotificationService = ReturnType<typeof createNotifications>;
