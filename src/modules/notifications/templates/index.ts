import type { ConsultationMode, Locale } from '../../../platform/db/schema.ts';
import { htmlOfText } from '../../../platform/mail.ts';
import { en } from './en.ts';
import { hi } from './hi.ts';
import type { Language, MessageValues, Template } from './types.ts';

export { TEMPLATES, type Template } from './types.ts';

/**
 * Messages in every channel and language from one set of facts.
 *
 * Invariants:
 * - Every template exists in every language (the Language type requires it) and every channel.
 * - Times are written in the doctor's zone, named in every e-mail and abbreviated in every SMS;
 *   money with Intl for the language, from integer minor units.
 * - What a message says is MessageValues: nothing clinical, no free text from either party.
 */

const LANGUAGES: Record<Locale, Language> = { en, hi };

/** What happened, as the notifications service knows it (not yet worded or formatted). */
export interface MessageFacts {
  appointmentId: string;
  doctorName: string;
  patientName: string;
  mode: ConsultationMode;
  startsAt: Date;
  /** The doctor's IANA zone. */
  zone: string;
  feeMinor: number;
  currency: string;
  holdExpiresAt: Date | null;
  cancelledBy: 'patient' | 'doctor' | 'admin' | null;
  refundMinor: number | null;
  /** The web app, without a trailing slash. */
  publicUrl: string;
}

export interface Recipient {
  role: 'patient' | 'doctor';
  name: string;
  locale: Locale;
}

export interface RenderedMessage {
  email: { subject: string; text: string; html: string };
  sms: string;
}

function instant(at: Date, zone: string, tag: string, short: boolean): string {
  return new Intl.DateTimeFormat(tag, {
    ...(short ? { month: 'short' } : { weekday: 'long', month: 'long', year: 'numeric' }),
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZone: zone,
    timeZoneName: 'short',
  }).format(at);
}

/** Integer minor units (paise) as money in this language, e.g. ₹500.00 or ₹1,23,456.50. */
export function money(minor: number, currency: string, tag: string): string {
  const format = new Intl.NumberFormat(tag, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

export function render(template: Template, to: Recipient, facts: MessageFacts): RenderedMessage {
  const language = LANGUAGES[to.locale];
  const values: MessageValues = {
    role: to.role,
    name: to.name,
    doctorName: facts.doctorName,
    patientName: facts.patientName,
    mode: facts.mode,
    when: instant(facts.startsAt, facts.zone, language.tag, false),
    whenShort: instant(facts.startsAt, facts.zone, language.tag, true),
    zone: facts.zone,
    link: `${facts.publicUrl}/appointments/${facts.appointmentId}`,
    amount: money(facts.feeMinor, facts.currency, language.tag),
    holdUntil: facts.holdExpiresAt ? instant(facts.holdExpiresAt, facts.zone, language.tag, true) : null,
    cancelledBy: facts.cancelledBy,
    refund: facts.refundMinor ? money(facts.refundMinor, facts.currency, language.tag) : null,
  };
  const wording = language.templates[template];
  const text = [
    language.greeting(values.name),
    ...wording.paragraphs(values),
    language.zoneNote(values.zone),
    language.signOff,
  ].join('\n\n');
  return {
    email: { subject: wording.subject(values), text, html: htmlOfText(text, values.link) },
    sms: wording.sms(values),
  };
}
