import type { Cipher } from '../../platform/crypto.ts';
import {
  type AppointmentStatus,
  type ConsultationMode,
  isoOf,
  type PaymentRow,
  type Wire,
} from '../../platform/db/schema.ts';
import type { SealedColumn as SealedColumnSpec } from '../../platform/sealed-columns.ts';
import { type PaymentView, toPaymentView } from '../payments/service.ts';
import type { AppointmentRecord } from './repo.ts';

export interface AppointmentView {
  id: string;
  status: AppointmentStatus;
  slotId: string | null;
  doctorId: string;
  doctorName: string;
  patientId: string;
  patientName: string;
  startsAt: string;
  endsAt: string;
  mode: ConsultationMode;
  reason: string | null;
  holdExpiresAt: string | null;
  feeMinor: number;
  currency: string;
  cancelledBy: 'patient' | 'doctor' | 'admin' | null;
  cancelReason: string | null;
  payment: PaymentView | null;
  createdAt: string;
}

export type ListedAppointment = Omit<AppointmentView, 'reason' | 'cancelReason'>;

type SealedColumn = 'reason' | 'cancel_reason';

const context = (column: SealedColumn, id: string) => `appointments.${column}:${id}`;

/** The sealed columns, for key rotation (platform/sealed-columns.ts); text from before 0004 is 'v0:'. */
export const SEALED_COLUMNS = (['reason', 'cancel_reason'] as const).map(
  (column): SealedColumnSpec => ({
    table: 'appointments',
    column,
    // The primary key: with starts_at, each row is found in its own month partition.
    key: ['id', 'starts_at'],
    context: (row) => context(column, row.id as string),
    legacyPlainPrefix: 'v0:',
  }),
);

/**
 * What an appointment looks like to its parties: one rendering for every read, every result and
 * every replay of a stored result. Rows arrive with the status readers see (a lapsed hold already
 * reads as expired, see repo.ts) and with free text sealed (PHI, AES-256-GCM, bound to the row).
 */
export function createViews(cipher: Cipher) {
  // Text written before migration 0004 is plain, marked 'v0:'; every later value is an envelope.
  const open = (value: string | null, column: SealedColumn, id: string) =>
    value === null
      ? null
      : value.startsWith('v0:')
        ? value.slice(3)
        : cipher.decrypt(value, context(column, id));

  return {
    seal: (text: string, column: SealedColumn, id: string) => cipher.encrypt(text, context(column, id)),

    appointment(a: Wire<AppointmentRecord>, p: Wire<PaymentRow> | null): AppointmentView {
      return {
        ...listed(a, p),
        reason: open(a.reason, 'reason', a.id),
        cancelReason: open(a.cancel_reason, 'cancel_reason', a.id),
      };
    },

    listed,
  };
}

/**
 * An appointment in an admin's list: the minimum to find it, none of the patient's free text
 * (PHI). The admin reads that on the appointment itself, and that read is audited (service.ts).
 */
function listed(a: Wire<AppointmentRecord>, p: Wire<PaymentRow> | null): ListedAppointment {
  return {
    id: a.id,
    status: a.status,
    slotId: a.slot_id,
    doctorId: a.doctor_id,
    doctorName: a.doctor_name,
    patientId: a.patient_id,
    patientName: a.patient_name,
    startsAt: isoOf(a.starts_at),
    endsAt: isoOf(a.ends_at),
    mode: a.mode,
    holdExpiresAt: a.status === 'pending_payment' && a.hold_expires_at ? isoOf(a.hold_expires_at) : null,
    feeMinor: a.fee_minor,
    currency: a.currency,
    cancelledBy: a.cancelled_by,
    payment: p ? toPaymentView(p) : null,
    createdAt: isoOf(a.created_at),
  };
}

export type Views = ReturnType<typeof createViews>;
