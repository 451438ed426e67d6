import { type AuthContext, conflict, notFound, type RequestMeta } from '../../http/index.ts';
import type { ClinicalNoteRow } from '../../platform/db/schema.ts';
import { assertTheDoctor, type RecordsDeps } from './parts.ts';
import * as repo from './repo.ts';
import { noteContext } from './sealing.ts';

/**
 * Clinical notes of an appointment (PHI).
 *
 * Invariants:
 * - Only the appointment's doctor saves, while it is in progress or within `notesEditHours` after
 *   it was completed; each save is a new version numbered after the last (one writer at a time per
 *   appointment), and no version changes or goes (the database refuses it).
 * - The parties and admins read any version; anyone else gets 404. Every save and every read is
 *   audited with the version, never the text.
 */
export function createNotes(deps: RecordsDeps) {
  const { db, clock, cipher, audit, appointments, settings } = deps;
  const HOUR_MS = 3_600_000;

  const view = (row: ClinicalNoteRow, text: string, versions: number) => ({
    appointmentId: row.appointment_id,
    version: row.version,
    versions,
    current: row.version === versions,
    text,
    authorId: row.author_id,
    savedAt: row.created_at.toISOString(),
  });

  /** Notes may be saved now: the consultation runs, or ended less than the edit window ago. */
  function assertOpen(a: { status: string; completedAt: Date | null }, now: Date): void {
    if (a.status === 'in_progress') return;
    if (a.status === 'completed' && a.completedAt) {
      const closesAt = new Date(a.completedAt.getTime() + settings.notesEditHours * HOUR_MS);
      if (now < closesAt) return;
      throw conflict(
        'NOTES_CLOSED',
        `Notes could be saved until ${closesAt.toISOString()}, ${settings.notesEditHours} h after the consultation was completed`,
        { window: { closesAt: closesAt.toISOString() } },
      );
    }
    throw conflict(
      'INVALID_STATE',
      `Notes are written during the consultation; this appointment is ${a.status}`,
    );
  }

  return {
    /** PUT …/notes: a new version with the whole text. */
    async save(auth: AuthContext, appointmentId: string, text: string, meta: RequestMeta) {
      return db.transaction().execute(async (tx) => {
        const now = clock.now();
        const a = await appointments.forRecords(tx, auth, appointmentId);
        assertTheDoctor(a, auth, 'writes its notes');
        assertOpen(a, now);
        await repo.lockRecords(tx, a.id);
        const version = (await repo.latestNoteVersion(tx, a.id)) + 1;
        const row = await repo.insertNote(tx, {
          appointment_id: a.id,
          version,
          author_id: auth.userId,
          body: cipher.encrypt(text, noteContext(a.id, version)),
          created_at: now,
        });
        await audit.record(tx, meta, {
          action: 'notes.saved',
          entity: 'appointment',
          entityId: a.id,
          details: { version },
        });
        return view(row, text, version);
      });
    },

    /** GET …/notes: the latest version, or `version`. */
    async read(auth: AuthContext, appointmentId: string, version: number | undefined, meta: RequestMeta) {
      return db.transaction().execute(async (tx) => {
        const a = await appointments.forRecords(tx, auth, appointmentId);
        const row = await repo.findNote(tx, a.id, version);
        if (!row) throw notFound(version === undefined ? 'Notes' : 'Notes version');
        const versions = await repo.latestNoteVersion(tx, a.id);
        await audit.record(tx, meta, {
          action: 'notes.read',
          entity: 'appointment',
          entityId: a.id,
          details: { version: row.version },
        });
        return view(row, cipher.decrypt(row.body, noteContext(a.id, row.version)), versions);
      });
    },
  };
}
