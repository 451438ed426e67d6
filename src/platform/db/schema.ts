import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { UserSuspensionsTable } from './schema-admin.ts';
import type {
  AppointmentIdsTable,
  ClinicalNotesTable,
  NotificationDeliveriesTable,
  NotificationPreferencesTable,
  NotificationRemindersTable,
  PatientCommitmentsTable,
  PrescriptionsTable,
  ReviewsTable,
} from './schema-consultations.ts';

export * from './schema-admin.ts';
export * from './schema-consultations.ts';

/** Timestamps are read as Date and may be written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface UsersTable {
  id: Generated<string>;
  email: string;
  password_hash: string;
  role: 'patient' | 'doctor' | 'admin';
  name: string;
  phone: string | null;
  mfa_enabled: Generated<boolean>;
  /** AES-GCM envelope (see platform/crypto), never the plain secret. */
  mfa_secret: string | null;
  mfa_pending_secret: string | null;
  /** Last accepted TOTP time step, so a code is accepted once. */
  mfa_last_step: number | null;
  /** The language of what is sent to the user. */
  locale: Generated<Locale>;
  /** `YYYY-MM-DD` (a calendar date: read as text, never as an instant). */
  date_of_birth: string | null;
  sex: Sex | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type Locale = 'en' | 'hi';
export type Sex = 'female' | 'male' | 'other';

export interface RecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: string;
  used_at: Timestamp | null;
}

export interface RefreshTokensTable {
  id: Generated<string>;
  user_id: string;
  family_id: string;
  token_hash: string;
  /** Whether the session passed a second factor; refreshed access tokens keep it. */
  mfa: boolean;
  created_at: Timestamp;
  expires_at: Timestamp;
  rotated_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface PasswordResetTokensTable {
  id: Generated<string>;
  user_id: string;
  /** SHA-256 of the mailed token; the token itself is never stored. */
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface AuditLogsTable {
  id: Generated<string>;
  seq: number | null;
  occurred_at: Timestamp;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  entity: string;
  entity_id: string | null;
  request_id: string | null;
  ip: string | null;
  details: ColumnType<Record<string, unknown>, string, string>;
  prev_hash: string | null;
  hash: string | null;
}

export type ConsultationMode = 'video' | 'audio' | 'chat';
export type SlotStatus = 'open' | 'held' | 'booked' | 'blocked';
export type VerificationStatus = 'pending' | 'verified' | 'rejected';

export interface DoctorsTable {
  user_id: string;
  registration_number: string | null;
  council: string | null;
  specializations: string[];
  languages: string[];
  fee_minor: number;
  currency: string;
  modes: ConsultationMode[];
  bio: string;
  timezone: string;
  experience_years: number;
  verification_status: Generated<VerificationStatus>;
  verification_reason: string | null;
  verified_at: Timestamp | null;
  verified_by: string | null;
  /** numeric comes back as a string; the service converts it. */
  rating_avg: ColumnType<string, never, string>;
  rating_count: ColumnType<number, never, number>;
  /** Sum of all review ratings (kept by the reviews trigger; the average is derived from it). */
  rating_sum: ColumnType<number, never, never>;
  search_text: string;
  search_tsv: ColumnType<string, never, never>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** A doctor's weekly schedule; it is kept in the doctor's own zone (`doctors.timezone`). */
export interface DoctorSchedulesTable {
  doctor_id: string;
  rules: ColumnType<unknown, string, string>;
  overrides: ColumnType<unknown, string, string>;
  buffer_minutes: number;
  min_notice_minutes: number;
  horizon_days: number;
  updated_at: Timestamp;
}

export interface SlotsTable {
  id: Generated<string>;
  doctor_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  mode: ConsultationMode;
  status: Generated<SlotStatus>;
  /** While held: when the hold ends (its appointment's hold_expires_at). */
  held_until: Timestamp | null;
  source: 'schedule' | 'manual';
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** Every status an appointment can have (the CHECK of migration 0003; state.ts moves between them). */
export const APPOINTMENT_STATUSES = [
  'pending_payment',
  'confirmed',
  'in_progress',
  'completed',
  'cancelled',
  'expired',
  'no_show',
] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];
export type PaymentStatus = 'created' | 'pending' | 'failed' | 'captured' | 'refund_pending' | 'refunded';

export interface AppointmentsTable {
  id: Generated<string>;
  slot_id: string | null;
  doctor_id: string;
  patient_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  mode: ConsultationMode;
  /** AES-256-GCM envelope (PHI), never the plain text. */
  reason: string | null;
  status: AppointmentStatus;
  hold_expires_at: Timestamp | null;
  fee_minor: number;
  currency: string;
  cancelled_by: 'patient' | 'doctor' | 'admin' | null;
  /** AES-256-GCM envelope (PHI), never the plain text. */
  cancel_reason: string | null;
  /** The start it was booked for (refunds are judged on the earlier of this and starts_at). */
  booked_starts_at: Timestamp;
  /** Set by the database as the status becomes completed (migration 0008); never written by code. */
  completed_at: ColumnType<Date | null, never, never>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PaymentsTable {
  id: Generated<string>;
  appointment_id: string;
  payer_id: string;
  amount_minor: number;
  currency: string;
  provider: string;
  status: PaymentStatus;
  provider_order_id: string | null;
  provider_payment_id: string | null;
  refund_amount_minor: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PaymentEventsTable {
  provider: string;
  event_id: string;
  type: string;
  received_at: Timestamp;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  fingerprint: string;
  response_status: number;
  /** result: the rows the operation produced, rendered by its route; problem: problem+json as sent. */
  response_kind: 'result' | 'problem';
  response_body: string;
  created_at: Timestamp;
}

export type RefundStatus = 'pending' | 'requested' | 'processed';

export interface RefundsTable {
  id: string;
  payment_id: string;
  /** The gateway payment refunded (the order's capture, or a duplicate capture of it). */
  provider_payment_id: string;
  amount_minor: number;
  currency: string;
  reason: string;
  status: RefundStatus;
  provider_refund_id: string | null;
  attempts: Generated<number>;
  /** When a job's gateway call began; null once it ended without an answer (look it up, then ask again). */
  asked_at: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OutboxTable {
  id: Generated<string>;
  topic: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  created_at: Timestamp;
  available_at: Timestamp;
  sent_at: Timestamp | null;
  /** W3C traceparent of the span that wrote the row (tracing on), continued by its job. */
  trace: string | null;
}

export interface Database {
  reviews: ReviewsTable;
  clinical_notes: ClinicalNotesTable;
  prescriptions: PrescriptionsTable;
  appointments: AppointmentsTable;
  appointment_ids: AppointmentIdsTable;
  patient_commitments: PatientCommitmentsTable;
  payments: PaymentsTable;
  refunds: RefundsTable;
  payment_events: PaymentEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
  doctors: DoctorsTable;
  doctor_schedules: DoctorSchedulesTable;
  slots: SlotsTable;
  users: UsersTable;
  recovery_codes: RecoveryCodesTable;
  refresh_tokens: RefreshTokensTable;
  password_reset_tokens: PasswordResetTokensTable;
  audit_logs: AuditLogsTable;
  notification_preferences: NotificationPreferencesTable;
  notification_deliveries: NotificationDeliveriesTable;
  notification_reminders: NotificationRemindersTable;
  user_suspensions: UserSuspensionsTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type AuditLogRow = Selectable<AuditLogsTable>;
export type DoctorRow = Selectable<DoctorsTable>;
export type SlotRow = Selectable<SlotsTable>;
export type ScheduleRow = Selectable<DoctorSchedulesTable>;
export type AppointmentRow = Selectable<AppointmentsTable>;
export type PaymentRow = Selectable<PaymentsTable>;
export type RefundRow = Selectable<RefundsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type ClinicalNoteRow = Selectable<ClinicalNotesTable>;
export type PrescriptionRow = Selectable<PrescriptionsTable>;

/** A row as read (Date) or as it comes back from JSON (to_jsonb, a stored answer): timestamps either way. */
export type Wire<T> = {
  [K in keyof T]: T[K] extends Date ? Date | string : T[K] extends Date | null ? Date | string | null : T[K];
};

/** ISO 8601 (UTC) for a Wire timestamp. */
export const isoOf = (t: Date | string): string => new Date(t).toISOString();
