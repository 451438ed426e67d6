/**
 * What the patient pages share: the patient's own time zone (every time is shown in it) and the
 * idempotency key of one attempt (the API's codes and their words are in ui/domain.tsx). Light on
 * purpose: the search page (the first page) imports it.
 */

import { useRef } from 'react';
import { useFormat } from '../../i18n';
import { browserZone } from '../../i18n/zones';

/** The zone the browser runs in: where the patient is. */
export const patientZone = browserZone;

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
