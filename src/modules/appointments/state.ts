import type { AppointmentStatus } from '../../platform/db/schema.ts';

/** The appointment state machine in one place (the database trigger enforces the same table). */
export const TRANSITIONS = {
  confirm: { from: ['pending_payment'], to: 'confirmed' },
  expire: { from: ['pending_payment'], to: 'expired' },
  cancel: { from: ['pending_payment', 'confirmed'], to: 'cancelled' },
  start: { from: ['confirmed'], to: 'in_progress' },
  complete: { from: ['in_progress'], to: 'completed' },
  noShow: { from: ['confirmed'], to: 'no_show' },
} as const satisfies Record<string, { from: readonly AppointmentStatus[]; to: AppointmentStatus }>;

export type Transition = keyof typeof TRANSITIONS;

/** Moving to another slot keeps the status: allowed before the consultation starts. */
export const RESCHEDULABLE: readonly AppointmentStatus[] = ['pending_payment', 'confirmed'];
