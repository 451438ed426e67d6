/**
 * The booking step after a slot is picked: the time in the patient's zone and in the doctor's,
 * the fee, an optional reason (the doctor reads it; stored encrypted) and the button that books.
 * Focus moves here when it opens (the parent keys it by slot), so a keyboard user goes on with Tab.
 */
import { type FormEvent, useEffect, useRef } from 'react';
import type { Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { label } from '../../ui/domain';
import { Button, TextArea } from '../../ui/kit';
import { patientZone } from './shared';

export function BookingPanel({
  slot,
  doctorZone,
  feeMinor,
  currency,
  pending,
  onBook,
  onCancel,
}: {
  slot: Schemas['Slot'];
  doctorZone: string;
  feeMinor: number;
  currency: string;
  pending: boolean;
  onBook: (reason: string) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onBook(String(new FormData(event.currentTarget).get('reason') ?? '').trim());
  };
  return (
    <form
      onSubmit={submit}
      aria-labelledby="booking-heading"
      className="flex flex-col gap-3 rounded-md border border-emerald-300 bg-emerald-50 p-3"
    >
      <h3 id="booking-heading" ref={heading} tabIndex={-1} className="font-semibold">
        {t('patient.book.chosen', { time: format.dateTime(slot.startsAt, patientZone()) })}
      </h3>
      <p className="text-sm text-stone-700">
        {t('patient.book.doctorTime', { time: format.dateTime(slot.startsAt, doctorZone), zone: doctorZone })}
      </p>
      <p>
        {label(t, 'mode', slot.mode)} · {format.money(feeMinor, currency)}
      </p>
      <TextArea label={t('patient.book.reason')} name="reason" maxLength={2000} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={pending}>
          {t('patient.book.submit')}
        </Button>
        <Button kind="secondary" onClick={onCancel}>
          {t('patient.book.otherTime')}
        </Button>
      </div>
    </form>
  );
}
