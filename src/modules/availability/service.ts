import type { Logger } from 'pino';
import {
  AppError,
  type AuthContext,
  conflict,
  notFound,
  type RequestMeta,
  SYSTEM,
  windowOf,
} from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import { type Db, SqlState, sqlState } from '../../platform/db/index.ts';
import type { ConsultationMode, SlotRow } from '../../platform/db/schema.ts';
import type { AuditService } from '../audit/service.ts';
import type { DoctorService } from '../doctors/service.ts';
import { type SlotEvent, type SlotFeed, toOwnSlotView, toSlotView } from './live.ts';
import { type ExistingSlot, generateSlots, type PlannedSlot, planSlots } from './plan.ts';
import type { ReadModel } from './read-model.ts';
import * as repo from './repo.ts';
import type { ScheduleInput } from './schemas.ts';
import { invalidShape, modeNotOffered, outsideBookingWindow } from './slot-rules.ts';
import * as slotStore from './slot-store.ts';

export interface AvailabilityDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  audit: AuditService;
  doctors: DoctorService;
  feed: SlotFeed;
  readModel: ReadModel;
  /** The most slots one schedule may generate over its horizon. */
  maxScheduleSlots: number;
}

/** Slot lists: the next 7 days unless asked otherwise, at most 31. */
const SLOT_WINDOW = { defaultDays: 7, maxDays: 31 };

export function createAvailabilityService(deps: AvailabilityDeps) {
  const { db, clock, audit, doctors, feed, logger } = deps;
  const updated = (rows: SlotRow[]): SlotEvent[] =>
    rows.map((r) => ({ type: 'slot.updated', slot: toSlotView(r) }));
  const removed = (rows: SlotRow[]): SlotEvent[] =>
    rows.map((r) => ({ type: 'slot.removed', slot: toSlotView(r) }));

  /**
   * Brings one doctor's future slots in line with the stored schedule, inside `tx` (which holds
   * the doctor's lock, so no other schedule or slot change runs). Bookings don't take that lock: a
   * slot planned away may be claimed between the read and the delete. It then stays, and the plan
   * is made again around it, so nothing added can overlap it. Unverified doctors get no slots yet.
   */
  async function applySchedule(tx: Db, doctorId: string, schedule: repo.StoredSchedule, verified: boolean) {
    if (!verified) return { added: [], gone: [] };
    const now = clock.now();
    const existing: ExistingSlot[] = (await repo.currentAndFutureSlots(tx, doctorId, now)).map((s) => ({
      id: s.id,
      startsAt: s.starts_at,
      endsAt: s.ends_at,
      mode: s.mode,
      status: s.status,
      source: s.source,
    }));
    let plan = planSlots(schedule, existing, now);
    const gone = await slotStore.deleteOpen(tx, doctorId, plan.remove);
    if (gone.length < plan.remove.length) {
      const deleted = new Set(gone.map((s) => s.id));
      const claimed = new Set(plan.remove.filter((id) => !deleted.has(id)));
      plan = planSlots(
        schedule,
        existing
          .filter((s) => !deleted.has(s.id))
          .map((s) => (claimed.has(s.id) ? { ...s, status: 'held' as const } : s)),
        now,
      );
    }
    const added = await slotStore.insert(tx, doctorId, plan.add, 'schedule', now);
    return { added, gone };
  }

  function assertSize(schedule: repo.StoredSchedule) {
    const count = generateSlots(schedule, clock.now()).length;
    if (count > deps.maxScheduleSlots) {
      throw new AppError(
        400,
        'SCHEDULE_TOO_LARGE',
        `This schedule makes ${count} slots over its horizon; at most ${deps.maxScheduleSlots} are allowed (use longer slots, fewer hours or a shorter horizon)`,
      );
    }
  }

  return {
    async putSchedule(auth: AuthContext, input: ScheduleInput, meta: RequestMeta) {
      const doctorId = auth.userId;
      const { schedule, added, gone } = await db.transaction().execute(async (tx) => {
        const doctor = await doctors.lockForChange(tx, doctorId);
        if (input.timezone !== undefined && input.timezone !== doctor.timezone) {
          throw conflict(
            'TIMEZONE_MISMATCH',
            `Your schedule is kept in your profile's time zone (${doctor.timezone}); leave timezone out, or change the profile's first (PATCH /api/v1/doctors/me)`,
          );
        }
        const schedule: repo.StoredSchedule = {
          timezone: doctor.timezone,
          rules: input.rules,
          overrides: input.overrides,
          bufferMinutes: input.bufferMinutes,
          minNoticeMinutes: input.minNoticeMinutes,
          horizonDays: input.horizonDays,
        };
        assertSize(schedule);
        modeNotOffered(doctor.modes, [
          ...input.rules.map((r) => r.mode),
          ...input.overrides.flatMap((o) => (o.unavailable ? [] : [o.mode])),
        ]);
        await repo.upsertSchedule(tx, doctorId, schedule, clock.now());
        const result = await applySchedule(tx, doctorId, schedule, doctor.verified);
        await audit.record(tx, meta, {
          action: 'schedule.updated',
          entity: 'doctor',
          entityId: doctorId,
          details: {
            added: result.added.length,
            removed: result.gone.length,
            rules: input.rules.length,
            overrides: input.overrides.length,
          },
        });
        return { schedule, ...result };
      });
      await feed.changed(doctorId, [...removed(gone), ...updated(added)]);
      return { schedule, added: added.length, removed: gone.length };
    },

    async getSchedule(auth: AuthContext) {
      const schedule = await repo.findSchedule(db, auth.userId);
      if (!schedule) throw notFound('Schedule');
      return schedule;
    },

    /** The daily job: extends every schedule's horizon (and drops what a schedule no longer wants). */
    async extendHorizons(): Promise<{ doctors: number; added: number; removed: number }> {
      let added = 0;
      let removedCount = 0;
      const ids = await repo.scheduledDoctorIds(db);
      for (const doctorId of ids) {
        try {
          const result = await db.transaction().execute(async (tx) => {
            const doctor = await doctors.lockForChange(tx, doctorId);
            const schedule = await repo.findSchedule(tx, doctorId);
            if (!schedule) return { added: [], gone: [] };
            const r = await applySchedule(tx, doctorId, schedule, doctor.verified);
            if (r.added.length + r.gone.length > 0) {
              await audit.record(tx, SYSTEM, {
                action: 'schedule.extended',
                entity: 'doctor',
                entityId: doctorId,
                details: { added: r.added.length, removed: r.gone.length },
              });
            }
            return r;
          });
          added += result.added.length;
          removedCount += result.gone.length;
          if (result.added.length + result.gone.length > 0) {
            await feed.changed(doctorId, [...removed(result.gone), ...updated(result.added)]);
          }
        } catch (error) {
          // One doctor's failure must not stop every later doctor's horizon.
          logger.error({ err: error, doctorId }, 'extending a slot horizon failed');
        }
      }
      return { doctors: ids.length, added, removed: removedCount };
    },

    async addSlots(
      auth: AuthContext,
      slots: Array<{ startsAt: string; endsAt: string; mode: ConsultationMode }>,
      meta: RequestMeta,
    ) {
      const now = clock.now();
      const planned: PlannedSlot[] = slots.map((s) => ({
        startsAt: new Date(s.startsAt),
        endsAt: new Date(s.endsAt),
        mode: s.mode,
      }));
      invalidShape(planned, now);
      const rows = await db.transaction().execute(async (tx) => {
        const doctor = await doctors.lockForChange(tx, auth.userId);
        modeNotOffered(
          doctor.modes,
          planned.map((s) => s.mode),
        );
        outsideBookingWindow(planned, await repo.findSchedule(tx, auth.userId), now);
        let inserted: SlotRow[];
        try {
          inserted = await slotStore.insert(tx, auth.userId, planned, 'manual', now);
        } catch (error) {
          if (sqlState(error) === SqlState.exclusionViolation) {
            throw conflict('SLOT_OVERLAP', 'A slot overlaps another of your slots');
          }
          throw error;
        }
        await audit.record(tx, meta, {
          action: 'slot.created',
          entity: 'doctor',
          entityId: auth.userId,
          details: { slotIds: inserted.map((r) => r.id) },
        });
        return inserted;
      });
      await feed.changed(auth.userId, updated(rows));
      return rows.map(toSlotView);
    },

    async deleteSlot(auth: AuthContext, slotId: string, meta: RequestMeta): Promise<void> {
      const gone = await db.transaction().execute(async (tx) => {
        await doctors.lockForChange(tx, auth.userId);
        const slot = await repo.findSlot(tx, auth.userId, slotId);
        if (!slot) throw notFound('Slot');
        // Only an open slot goes; a booking may claim it up to the very DELETE, which then skips it.
        const deleted = slot.status === 'open' ? await slotStore.deleteOpen(tx, auth.userId, [slotId]) : [];
        if (deleted.length === 0) {
          const now = (await repo.findSlot(tx, auth.userId, slotId))?.status ?? slot.status;
          throw conflict('SLOT_NOT_OPEN', `The slot is ${now}; only open slots can be deleted`);
        }
        await audit.record(tx, meta, {
          action: 'slot.deleted',
          entity: 'slot',
          entityId: slotId,
          details: { doctorId: auth.userId },
        });
        return deleted;
      });
      await feed.changed(auth.userId, removed(gone));
    },

    /**
     * Regenerates the doctor's slots from the stored schedule: after verification (none were made
     * before) and after the doctor's time zone changed (the schedule's hours now mean other instants).
     */
    async regenerate(doctorId: string): Promise<void> {
      const result = await db.transaction().execute(async (tx) => {
        const doctor = await doctors.lockForChange(tx, doctorId);
        const schedule = await repo.findSchedule(tx, doctorId);
        return schedule ? applySchedule(tx, doctorId, schedule, doctor.verified) : { added: [], gone: [] };
      });
      if (result.added.length + result.gone.length > 0) {
        await feed.changed(doctorId, [...removed(result.gone), ...updated(result.added)]);
      }
    },

    /** Open, bookable slots (future, past the notice period) of a visible doctor, from the read model. */
    async openSlots(
      doctorId: string,
      range: { from?: string | undefined; to?: string | undefined },
      viewer: AuthContext | null,
    ): Promise<Buffer> {
      const { from, to } = windowOf(range, clock.now(), SLOT_WINDOW);
      // The doctor and admins see an unverified doctor's slots; everyone else is told it doesn't exist.
      const hidden = viewer?.role === 'admin' || viewer?.userId === doctorId;
      const body = await deps.readModel.openSlots(doctorId, from, to, hidden);
      if (body === null) throw notFound('Doctor');
      return body;
    },

    /** The doctor's own slots in every state (also before verification), with what holds each. */
    async ownSlots(auth: AuthContext, range: { from?: string | undefined; to?: string | undefined }) {
      const now = clock.now();
      const { from, to } = windowOf(range, now, SLOT_WINDOW);
      return { items: (await repo.ownSlots(db, auth.userId, from, to, now)).map(toOwnSlotView) };
    },
  };
}

export type AvailabilityService = ReturnType<typeof createAvailabilityService>;
