import type { Logger } from 'pino';
import {
  type AuthContext,
  assertOrdered,
  decodeCursor,
  notFound,
  page,
  type RequestMeta,
} from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Cipher } from '../../platform/crypto.ts';
import type { Db } from '../../platform/db/index.ts';
import type { AppointmentStatus, SlotRow } from '../../platform/db/schema.ts';
import type { IdempotencyStore } from '../../platform/idempotency-store.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { AuditService } from '../audit/service.ts';
import { type SlotFeed, toSlotView } from '../availability/live.ts';
import type { Outbox } from '../outbox/service.ts';
import type { PaymentService } from '../payments/service.ts';
import { type BookingRows, type BookingSettings, createBooking } from './booking.ts';
import { type CancelRows, createChanges } from './changes.ts';
import { createHolds } from './holds.ts';
import { type ChangePolicy, cancellationQuote } from './policy.ts';
import * as repo from './repo.ts';
import { cursorShape } from './schemas.ts';
import { createViews, SEALED_COLUMNS } from './views.ts';
import type { ConsultationWindows } from './windows.ts';

/**
 * The appointments module, assembled: booking (booking.ts), holds (holds.ts), changes
 * (changes.ts) and what parties read (views.ts). Routes call this; payments reaches it only
 * through `port` (payments/port.ts).
 */
export function createAppointmentService(deps: {
  db: Db;
  clock: Clock;
  cipher: Cipher;
  keys: IdempotencyStore;
  audit: AuditService;
  outbox: Outbox;
  payments: PaymentService;
  feed: SlotFeed;
  metrics: Metrics;
  logger: Logger;
  settings: BookingSettings & ChangePolicy;
  windows: ConsultationWindows;
}) {
  const { db, clock, payments, feed } = deps;
  const views = createViews(deps.cipher);
  const holds = createHolds(deps);
  const booking = createBooking({ ...deps, holds, views });
  const changes = createChanges({ ...deps, holds, views, policy: deps.settings, windows: deps.windows });

  /**
   * The appointment if `auth` is one of its parties (or an admin, unless `partiesOnly`); 404
   * otherwise (never "not yours").
   */
  function own<T extends { patient_id: string; doctor_id: string }>(
    auth: AuthContext,
    a: T | undefined,
    partiesOnly = false,
  ): T {
    const party = a && (a.patient_id === auth.userId || a.doctor_id === auth.userId);
    if (!a || !(party || (auth.role === 'admin' && !partiesOnly))) throw notFound('Appointment');
    return a;
  }
  const findOwn = async (auth: AuthContext, id: string, now = clock.now(), partiesOnly = false) =>
    own(auth, await repo.find(db, id, now), partiesOnly);

  const paymentsOf = async (ids: string[]) =>
    new Map((await payments.forAppointments(ids)).map((p) => [p.appointment_id, p]));

  return {
    book: booking.book,
    bookingStatement: booking.statement,
    renderBooking: booking.render,
    cancel: changes.cancel,
    renderCancel: (r: CancelRows) => ({ ...views.appointment(r.appointment, r.payment), refund: r.refund }),
    reschedule: changes.reschedule,
    renderChange: (r: BookingRows) => views.appointment(r.appointment, r.payment),
    async advance(...args: Parameters<typeof changes.advance>) {
      const r = await changes.advance(...args);
      return views.appointment(r.appointment, r.payment);
    },
    port: changes.port,
    /** Key rotation re-seals these (platform/sealed-columns.ts). */
    sealedColumns: SEALED_COLUMNS,

    /**
     * What clinical records (records/) may know of an appointment: its parties, times and status
     * (`completedAt` once completed). 404 unless `auth` is one of its parties or an admin.
     */
    async forRecords(tx: Db, auth: AuthContext, id: string) {
      const a = own(auth, await repo.findForRecords(tx, id, clock.now()));
      return {
        id: a.id,
        status: a.status,
        doctorId: a.doctor_id,
        patientId: a.patient_id,
        startsAt: a.starts_at,
        endsAt: a.ends_at,
        completedAt: a.completed_at,
      };
    },

    /** One appointment, free text included; an admin's read of another's PHI is audited first. */
    async get(auth: AuthContext, id: string, meta: RequestMeta) {
      const a = await findOwn(auth, id);
      if (a.patient_id !== auth.userId && a.doctor_id !== auth.userId) {
        await deps.audit.record(db, meta, {
          action: 'appointment.read',
          entity: 'appointment',
          entityId: a.id,
        });
      }
      return views.appointment(a, (await payments.forAppointment(db, a.id)) ?? null);
    },

    /** For what only the two parties may do (join the call): admins are told it doesn't exist. */
    async forParty(auth: AuthContext, id: string) {
      return views.appointment(await findOwn(auth, id, clock.now(), true), null);
    },

    /** What `POST …/cancel` would do now, for this party (nothing changes). */
    async cancellation(auth: AuthContext, id: string) {
      const now = clock.now();
      const a = await findOwn(auth, id, now);
      const payment = await payments.forAppointment(db, a.id);
      const paid = payment?.status === 'captured' ? payment.amount_minor : 0;
      return {
        ...cancellationQuote(auth.role, a, now, paid, deps.settings),
        currency: a.currency,
        lateRefundPercent: deps.settings.lateRefundPercent,
      };
    },

    async list(
      auth: AuthContext,
      q: {
        status?: AppointmentStatus | undefined;
        from?: string | undefined;
        to?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ) {
      const after = decodeCursor(q.cursor, cursorShape);
      const from = q.from ? new Date(q.from) : undefined;
      const to = q.to ? new Date(q.to) : undefined;
      assertOrdered({ name: 'from', value: from }, { name: 'to', value: to });
      const found = await repo.list(db, {
        patientId: auth.role === 'patient' ? auth.userId : undefined,
        doctorId: auth.role === 'doctor' ? auth.userId : undefined,
        status: q.status,
        from,
        to,
        after: after ? { startsAt: new Date(after.t), id: after.id } : undefined,
        limit: q.limit + 1,
        now: clock.now(),
      });
      const paymentOf = await paymentsOf(found.map((r) => r.id));
      // Parties read their own words; an admin's list of everyone's carries none (views.listed).
      const render = auth.role === 'admin' ? views.listed : views.appointment;
      return page(
        found,
        q.limit,
        (r) => render(r, paymentOf.get(r.id) ?? null),
        (r) => ({ t: r.starts_at.toISOString(), id: r.id }),
      );
    },

    /** What messages about an appointment say (notifications): its state, time and parties, no free text. */
    async summary(id: string) {
      const a = await repo.find(db, id, clock.now());
      if (!a) return undefined;
      const { reason: _reason, cancel_reason: _cancelReason, ...rest } = a;
      return rest;
    },

    /** The expiry job: every due hold expired; subscribers hear of each reopened slot. */
    async expireHolds(): Promise<number> {
      const { expired, reopened } = await holds.expireDue();
      for (const [doctorId, slots] of Map.groupBy(reopened, (s: SlotRow) => s.doctor_id)) {
        await feed.changed(
          doctorId,
          slots.map((s) => ({ type: 'slot.updated' as const, slot: toSlotView(s) })),
        );
      }
      return expired;
    },
  };
}

export type AppointmentService = ReturnType<typeof createAppointmentService>;
