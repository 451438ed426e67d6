import type { Generated } from 'kysely';
import type { Timestamp } from './schema.ts';

/**
 * Tables of what happens after booking (reviews, clinical records, notifications), and the
 * unpartitioned companions of the partitioned `appointments` (migration 0011).
 */

/** Every appointment's id and its start (the month partition its row is in); others reference it. */
export interface AppointmentIdsTable {
  id: string;
  starts_at: Timestamp;
}

/** One row per active appointment, kept by the database (triggers on appointments); read-only to code. */
export interface PatientCommitmentsTable {
  appointment_id: string;
  patient_id: string;
  doctor_id: string;
  slot_id: string;
  during: string;
  status: 'pending_payment' | 'confirmed' | 'in_progress';
  hold_expires_at: Timestamp | null;
}

export interface ReviewsTable {
  id: Generated<string>;
  appointment_id: string;
  doctor_id: string;
  patient_id: string;
  rating: number;
  comment: string | null;
  created_at: Timestamp;
}

/** One saved version of an appointment's clinical notes. */
export interface ClinicalNotesTable {
  appointment_id: string;
  version: number;
  author_id: string;
  /** AES-256-GCM envelope (PHI), bound to (appointment_id, version). */
  body: string;
  created_at: Timestamp;
}

/** One version of an appointment's prescription (see migration 0008). */
export interface PrescriptionsTable {
  id: string;
  appointment_id: string;
  version: number;
  doctor_id: string;
  patient_id: string;
  issued_at: Timestamp;
  content: string; // AES-256-GCM envelope (PHI): the canonical JSON of all it says
  content_sha256: string;
  verification_id: string;
  doctor_name: string; // the issuer at issue time, in clear: public verification shows them
  registration_number: string;
  council: string;
  superseded_at: Timestamp | null;
  superseded_by: string | null;
  pdf: string | null; // AES-256-GCM envelope (PHI) of the PDF as base64; null until rendered
  pdf_rendered_at: Timestamp | null;
}

export type NotificationChannel = 'email' | 'sms';

/** A user's explicit choice for one channel and category (notifications/preferences.ts has the defaults). */
export interface NotificationPreferencesTable {
  user_id: string;
  channel: NotificationChannel;
  category: string;
  enabled: boolean;
  updated_at: Timestamp;
}

/** One message of one outbox job to one recipient by one channel: claimed, then sent or failed. */
export interface NotificationDeliveriesTable {
  outbox_id: string;
  recipient_id: string;
  channel: NotificationChannel;
  template: string;
  status: 'sending' | 'sent' | 'failed';
  attempts: number;
  claimed_at: Timestamp;
  sent_at: Timestamp | null;
  last_error: string | null;
}

export interface NotificationRemindersTable {
  appointment_id: string;
  starts_at: Timestamp;
  template: string;
  due_at: Timestamp;
  created_at: Timestamp;
}
