import { AppError, type AuthContext, conflict, type RequestMeta } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { AppointmentService } from '../appointments/service.ts';
import { type ConsultationWindows, roomWindow } from '../appointments/windows.ts';
import type { AuditService } from '../audit/service.ts';
import type { RoomProvider } from './providers.ts';

/**
 * The video room of an appointment (SPEC §3.6).
 *
 * Invariants:
 * - Only its two parties get in: anyone else, admins included, is told it doesn't exist (404).
 * - Only a confirmed (paid) or running consultation has a room (else 409 INVALID_STATE), and only
 *   within its window (appointments/windows.ts; else 403 ROOM_NOT_OPEN with the window).
 * - A join token names that room and that participant, and expires when the window closes.
 * - Every token issued is audited.
 */
export function createRooms(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  appointments: AppointmentService;
  provider: RoomProvider;
  windows: ConsultationWindows;
}) {
  const { db, clock, audit, appointments, provider, windows } = deps;

  return {
    async join(auth: AuthContext, appointmentId: string, meta: RequestMeta) {
      const a = await appointments.forParty(auth, appointmentId);
      if (a.status !== 'confirmed' && a.status !== 'in_progress') {
        throw conflict('INVALID_STATE', `An appointment that is ${a.status} has no video room`);
      }
      const { opensAt, closesAt } = roomWindow(
        { startsAt: new Date(a.startsAt), endsAt: new Date(a.endsAt) },
        windows,
      );
      const now = clock.now();
      if (now < opensAt || now >= closesAt) {
        throw new AppError(
          403,
          'ROOM_NOT_OPEN',
          `The room is open from ${opensAt.toISOString()} to ${closesAt.toISOString()}`,
          { window: { opensAt: opensAt.toISOString(), closesAt: closesAt.toISOString() } },
        );
      }
      const doctor = a.doctorId === auth.userId;
      const room = provider.roomOf(a.id);
      const { joinUrl, token } = await provider.join({
        room,
        participant: { id: auth.userId, name: doctor ? a.doctorName : a.patientName, moderator: doctor },
        notBefore: opensAt,
        expiresAt: closesAt,
      });
      await audit.record(db, meta, {
        action: 'appointment.room_joined',
        entity: 'appointment',
        entityId: a.id,
        details: { provider: provider.name, expiresAt: closesAt.toISOString() },
      });
      return { provider: provider.name, roomName: room, joinUrl, token, expiresAt: closesAt.toISOString() };
    },
  };
}

export type Rooms = ReturnType<typeof createRooms>;
