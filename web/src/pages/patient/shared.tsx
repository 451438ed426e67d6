/**
 * What the patient pages share: the patient's own time zone (every time is shown in it), the
 * words for the API's codes (specializations, modes, appointment states), and the idempotency
 * key of one attempt. Light on purpose: the search page (the first page) imports it.
 */

import { useRef } from 'react';
import type { Schemas } from '../../api/client';
import { type MessageKey, type Translate, useFormat } from '../../i18n';
import { catalogues } from '../../i18n/catalogue';
import { browserZone } from '../../i18n/zones';
import { Badge } from '../../ui/kit';

/** The zone the browser runs in: where the patient is. */
export const patientZone = browserZone;

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
] as const;
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
] as const;
export const MODES = ['video', 'audio', 'chat'] as const;

const isMessageKey = (key: string): key is MessageKey => key in catalogues.en;

/** A code's words when the catalogue has them, else the code itself (a value newer than this app). */
export function label(t: Translate, prefix: string, code: string): string {
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

type Status = Schemas['Appointment']['status'];
const STATUS_TONE: Record<Status, 'neutral' | 'good' | 'warn' | 'bad'> = {
  pending_payment: 'warn',
  confirmed: 'good',
  in_progress: 'good',
  completed: 'neutral',
  cancelled: 'bad',
  expired: 'bad',
  no_show: 'bad',
};

export function StatusBadge({ status, t }: { status: Status; t: Translate }) {
  return <Badge tone={STATUS_TONE[status]}>{label(t, 'patient.status', status)}</Badge>;
}

/** "Fri, 5 Dec, 9:30 am" in the patient's zone. */
export function useWhen() {
  const format = useFormat();
  const zone = patientZone();
  return (iso: string) => format.dateTime(iso, zone);
}

/**
 * One Idempotency-Key per attempt: the same attempt (same body) retried reuses its key, so a lost
 * answer can't book twice; a different attempt gets a fresh key.
 */
export function useIdempotencyKey() {
  const current = useRef<{ attempt: string; key: string } | null>(null);
  return (attempt: string): string => {
    if (current.current?.attempt !== attempt) current.current = { attempt, key: crypto.randomUUID() };
    return current.current.key;
  };
}
