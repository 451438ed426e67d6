import type { ConsultationMode } from '../../../platform/db/schema.ts';

export const TEMPLATES = [
  'confirmed',
  'payment_failed',
  'hold_expired',
  'cancelled',
  'rescheduled',
  'reminder_24h',
  'reminder_1h',
  'prescription_ready',
] as const;
export type Template = (typeof TEMPLATES)[number];

/**
 * What a message may say, formatted for its recipient's language: only what the recipient knows
 * already (who, when, how much), never the reason for the visit or anything clinical. Times are in
 * the doctor's zone, the one the app shows, and say which zone it is.
 */
export interface MessageValues {
  role: 'patient' | 'doctor';
  /** The recipient's name. */
  name: string;
  doctorName: string;
  patientName: string;
  mode: ConsultationMode;
  /** The start, e.g. "Monday, 2 March 2026 at 9:30 am IST". */
  when: string;
  /** The start for an SMS, e.g. "2 Mar, 9:30 am IST". */
  whenShort: string;
  /** The IANA zone the times are in, e.g. Asia/Kolkata. */
  zone: string;
  /** The appointment in the web app. */
  link: string;
  /** The fee, as money. */
  amount: string;
  /** Until when an unpaid booking keeps its slot (short form), if it still does. */
  holdUntil: string | null;
  cancelledBy: 'patient' | 'doctor' | 'admin' | null;
  /** What a cancellation refunds, as money; null when nothing is due. */
  refund: string | null;
}

/** One template in one language: the e-mail's subject and paragraphs, and the SMS. */
export interface Wording {
  subject(v: MessageValues): string;
  paragraphs(v: MessageValues): string[];
  /** At most 160 characters where the names allow (Devanagari SMS are sent as UCS-2: shorter segments). */
  sms(v: MessageValues): string;
}

/** A language: what frames every e-mail, and each template's wording. */
export interface Language {
  /** BCP 47 tag for Intl: how dates and money are written. */
  tag: string;
  greeting(name: string): string;
  /** Says which zone the times are in. */
  zoneNote(zone: string): string;
  signOff: string;
  modes: Record<ConsultationMode, string>;
  templates: Record<Template, Wording>;
}
