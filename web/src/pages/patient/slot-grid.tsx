/**
 * A doctor's open slots for the next 7 days, one day at a time, in the PATIENT's time zone (the
 * doctor's zone and the time there are said too). Live over the availability socket: a slot taken
 * by someone else disappears at once and the change is announced (role=status). Every slot is a
 * button; the doctor page books with it, the appointment page reschedules with it.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { QueryView } from '../../ui/errors';
import { type SlotChange, slotsKey, useLiveSlots } from './live-slots';
import { patientZone } from './shared';

type Slot = Schemas['Slot'];
const WEEK_MS = 7 * 24 * 3600 * 1000;

const dayKeyIn = (zone: string) => {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  return (iso: string) => format.format(new Date(iso));
};

function byDay(slots: Slot[], zone: string): [string, Slot[]][] {
  const keyOf = dayKeyIn(zone);
  const days = new Map<string, Slot[]>();
  for (const slot of slots) {
    const key = keyOf(slot.startsAt);
    days.set(key, [...(days.get(key) ?? []), slot]);
  }
  return [...days.entries()];
}

export function useDoctorSlots(doctorId: string) {
  return useQuery({
    queryKey: slotsKey(doctorId),
    queryFn: () => {
      const now = Date.now();
      const range = { from: new Date(now).toISOString(), to: new Date(now + WEEK_MS).toISOString() };
      return call(
        api.GET('/api/v1/doctors/{id}/slots', { params: { path: { id: doctorId }, query: range } }),
      );
    },
  });
}

export function SlotGrid({
  doctorId,
  onPick,
  pickedId,
}: {
  doctorId: string;
  onPick: (slot: Slot) => void;
  pickedId?: string | undefined;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const zone = patientZone();
  const slots = useDoctorSlots(doctorId);
  const [day, setDay] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [now, setNow] = useState(() => new Date().toISOString());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date().toISOString()), 60_000);
    return () => clearInterval(timer);
  }, []);
  useLiveSlots(doctorId, (change: SlotChange) => {
    const time = format.dateTime(change.slot.startsAt, zone);
    const opened = change.type === 'slot.updated' && change.slot.status === 'open';
    setAnnouncement(t(opened ? 'patient.grid.opened' : 'patient.grid.taken', { time }));
  });

  return (
    <QueryView query={slots}>
      {(list) => {
        const days = byDay(list.items, zone);
        const shown = days.find(([key]) => key === day) ?? days[0];
        return (
          <div className="flex flex-col gap-3">
            <p className="text-sm text-stone-700">
              {t('patient.grid.yourZone', { zone })}{' '}
              {t('patient.grid.doctorZone', { zone: list.timezone, time: format.time(now, list.timezone) })}
            </p>
            <p role="status" className="min-h-6 text-sm text-emerald-900">
              {announcement}
            </p>
            {days.length === 0 ? (
              <p>{t('patient.grid.none')}</p>
            ) : (
              <>
                <fieldset className="flex flex-col gap-2">
                  <legend className="mb-1 font-medium">{t('patient.grid.day')}</legend>
                  <div className="flex flex-wrap gap-2">
                    {days.map(([key, daySlots]) => (
                      <button
                        key={key}
                        type="button"
                        aria-pressed={shown?.[0] === key}
                        onClick={() => setDay(key)}
                        className="min-h-11 rounded-md border border-stone-400 px-3 aria-pressed:border-emerald-800 aria-pressed:bg-emerald-800 aria-pressed:text-white"
                      >
                        {format.shortDay(daySlots[0]?.startsAt ?? now, zone)}
                      </button>
                    ))}
                  </div>
                </fieldset>
                {shown && (
                  <section aria-labelledby="slots-day-heading" className="flex flex-col gap-2">
                    <h3 id="slots-day-heading" className="font-semibold">
                      {t('patient.grid.timesOn', { day: format.day(shown[1][0]?.startsAt ?? now, zone) })}
                    </h3>
                    <ul className="grid grid-cols-3 gap-2 sm:grid-cols-5 lg:grid-cols-6">
                      {shown[1].map((slot) => (
                        <li key={slot.id}>
                          <button
                            type="button"
                            data-slot-id={slot.id}
                            aria-pressed={pickedId === slot.id}
                            onClick={() => onPick(slot)}
                            className="min-h-11 w-full rounded-md border border-emerald-800 px-2 text-emerald-900 hover:bg-emerald-50 aria-pressed:bg-emerald-800 aria-pressed:text-white"
                          >
                            {format.time(slot.startsAt, zone)}
                          </button>
                        </li>
                      ))}
                    </ul>
                  </section>
                )}
              </>
            )}
          </div>
        );
      }}
    </QueryView>
  );
}
