/**
 * The API's codes as every area shows them: the value lists (specialisations, languages,
 * consultation modes), their words (the catalogue's `spec.*`, `mode.*`, `status.*`; languages by
 * Intl), and an appointment status as a badge. Light on purpose: the search page (the first page)
 * imports it.
 */
import type { Schemas } from '../api/client';
import type { MessageKey, Translate } from '../i18n';
import { catalogues } from '../i18n/catalogue';
import { Badge, type BadgeTone } from './kit';

export type Specialization = NonNullable<Schemas['DoctorProfileRequest']['specializations']>[number];
export type Language = NonNullable<Schemas['DoctorProfileRequest']['languages']>[number];
export type Mode = Schemas['ScheduleRuleInput']['mode'];
export type Status = Schemas['Appointment']['status'];

export const SPECIALIZATIONS = [
  'kayachikitsa',
  'shalya-tantra',
  'shalakya-tantra',
  'kaumarabhritya',
  'prasuti-stri-roga',
  'agada-tantra',
  'rasayana',
  'vajikarana',
  'panchakarma',
  'dravyaguna',
  'rasa-shastra',
  'swasthavritta',
  'manas-roga',
  'twak-roga',
] as const satisfies readonly Specialization[];
export const LANGUAGES = [
  'hi',
  'en',
  'bn',
  'te',
  'mr',
  'ta',
  'gu',
  'kn',
  'ml',
  'or',
  'pa',
  'as',
  'ur',
  'sa',
] as const satisfies readonly Language[];
export const MODES = ['video', 'audio', 'chat'] as const satisfies readonly Mode[];

const isMessageKey = (key: string): key is MessageKey => key in catalogues.en;

/** A code's words when the catalogue has them, else the code itself (a value newer than this app). */
export function label(t: Translate, prefix: 'spec' | 'mode' | 'status', code: string): string {
  const key = `${prefix}.${code}`;
  return isMessageKey(key) ? t(key) : code;
}

/** A language's own name in the reader's locale ("Hindi" / "हिन्दी"), from Intl. */
export function languageName(tag: string, code: string): string {
  try {
    return new Intl.DisplayNames([tag], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

export const STATUS_TONE = {
  pending_payment: 'warn',
  confirmed: 'good',
  in_progress: 'good',
  completed: 'neutral',
  cancelled: 'bad',
  expired: 'bad',
  no_show: 'bad',
} as const satisfies Record<Status, BadgeTone>;

export function StatusBadge({ status, t }: { status: Status; t: Translate }) {
  return <Badge tone={STATUS_TONE[status]}>{label(t, 'status', status)}</Badge>;
}
