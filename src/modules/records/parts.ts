import type { Logger } from 'pino';
import { type AuthContext, forbidden } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Cipher } from '../../platform/crypto.ts';
import type { Db } from '../../platform/db/index.ts';
import type { AppointmentService } from '../appointments/service.ts';
import type { AuditService } from '../audit/service.ts';
import type { AuthService } from '../auth/service.ts';
import type { DoctorService } from '../doctors/service.ts';
import type { Outbox } from '../outbox/service.ts';

/** What the records module is built from: other modules only through their services. */
export interface RecordsDeps {
  db: Db;
  clock: Clock;
  cipher: Cipher;
  audit: AuditService;
  outbox: Outbox;
  logger: Logger;
  /** The appointment as records may see it (404 unless a party or an admin). */
  appointments: Pick<AppointmentService, 'forRecords'>;
  /** The patient's name, age and sex on a date. */
  patients: Pick<AuthService, 'patientDetails'>;
  /** The doctor's own profile (name, registration, council, time zone). */
  doctors: Pick<DoctorService, 'own'>;
  settings: {
    notesEditHours: number;
    /** Where the public verification is reached (printed on the PDF), without a trailing slash. */
    publicUrl: string;
  };
}

/** Only the appointment's own doctor writes its records (the other party and admins only read). */
export function assertTheDoctor(a: { doctorId: string }, auth: AuthContext, what: string): void {
  if (a.doctorId !== auth.userId) throw forbidden(`Only the appointment’s doctor ${what}`);
}
