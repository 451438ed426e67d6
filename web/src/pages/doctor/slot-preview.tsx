/**
 * The server's slots for the next 7 days, grouped by day in the doctor's zone, each with its
 * status (open, held, booked, blocked): the preview is the server's answer, never a rule repeated
 * here. An open slot can be removed; a single slot can be added by hand. Until the profile is
 * verified the server makes no slots, and the preview says so.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { type MessageKey, useFormat, useI18n } from '../../i18n';
import { label, MODES, type Mode } from '../../ui/domain';
import { ErrorNotice, QueryView } from '../../ui/errors';
import { Badge, Button, Field, Notice, Select } from '../../ui/kit';
import { SLOT_TONE } from './data';
import { SavingForm, Section } from './fields';
import { addDays, byDay, instantAt, startOfDay, todayIn } from './zoned';

type OwnSlot = Schemas['OwnSlot'];
const MINUTE = 60_000;
/** The hand-added slot's inputs besides its mode: the day, the start and the length in minutes. */
const NEW_SLOT_FIELDS = [
  { field: 'date', label: 'doctor.schedule.slotDate', type: 'date' },
  { field: 'time', label: 'doctor.schedule.slotTime', type: 'time' },
  { field: 'minutes', label: 'doctor.schedule.slotLength', type: 'number' },
] as const satisfies readonly { field: string; label: MessageKey; type: string }[];

export function SlotPreview({ timezone, verified }: { timezone: string; verified: boolean }) {
  const { t } = useI18n();
  const format = useFormat();
  const queryClient = useQueryClient();
  const today = todayIn(timezone);
  const days = Array.from({ length: 7 }, (_, i) => addDays(today, i));
  const from = startOfDay(today, timezone).toISOString();
  const to = startOfDay(addDays(today, 7), timezone).toISOString();
  const slots = useQuery({
    queryKey: ['doctor', 'slots', from, to],
    queryFn: () => call(api.GET('/api/v1/doctors/me/slots', { params: { query: { from, to } } })),
  });
  const remove = useMutation({
    mutationFn: (id: string) =>
      call(api.DELETE('/api/v1/doctors/me/slots/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['doctor', 'slots'] }),
  });
  const line = (slot: OwnSlot) =>
    t('doctor.schedule.slotLine', {
      start: format.time(slot.startsAt, timezone),
      end: format.time(slot.endsAt, timezone),
      mode: label(t, 'mode', slot.mode),
    });

  return (
    <Section title={t('doctor.schedule.preview')}>
      <p className="mb-3 text-stone-600">{t('doctor.zone', { zone: timezone })}</p>
      {!verified && <Notice tone="warn">{t('doctor.schedule.unverified')}</Notice>}
      {remove.isError && <ErrorNotice error={remove.error} />}
      {remove.isSuccess && <Notice>{t('doctor.schedule.slotRemoved')}</Notice>}
      <QueryView query={slots}>
        {({ items }) => (
          <div className="flex flex-col gap-2" data-testid="slot-preview">
            {byDay(items, days, timezone).map(({ day, items: daySlots }, index) => (
              <details key={day} open={index === 0} className="rounded-md border border-stone-200 p-2">
                <summary className="min-h-11 cursor-pointer py-2 font-medium">
                  {format.day(startOfDay(day, timezone).toISOString(), timezone)} —{' '}
                  {t('doctor.schedule.dayCount', {
                    count: daySlots.length,
                    open: daySlots.filter((s) => s.status === 'open').length,
                  })}
                </summary>
                {daySlots.length === 0 ? (
                  <p className="text-stone-600">{t('doctor.schedule.noSlots')}</p>
                ) : (
                  <ul className="grid grid-cols-1 gap-2 sm:grid-cols-2 lg:grid-cols-3">
                    {daySlots.map((slot) => (
                      <li key={slot.id} className="flex flex-wrap items-center justify-between gap-2">
                        <span>
                          {line(slot)}{' '}
                          <Badge tone={SLOT_TONE[slot.status]}>{t(`doctor.slot.${slot.status}`)}</Badge>
                        </span>
                        {slot.status === 'open' && (
                          <Button
                            kind="secondary"
                            className="px-2 py-1"
                            disabled={remove.isPending}
                            aria-label={t('doctor.schedule.removeSlot', { time: line(slot) })}
                            onClick={() => remove.mutate(slot.id)}
                          >
                            {t('doctor.schedule.remove')}
                          </Button>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
              </details>
            ))}
          </div>
        )}
      </QueryView>
      <AddSlot timezone={timezone} />
    </Section>
  );
}

function AddSlot({ timezone }: { timezone: string }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [newSlot, setNewSlot] = useState(() => ({
    date: addDays(todayIn(timezone), 1),
    time: '18:00',
    minutes: '30',
  }));
  const [mode, setMode] = useState<Mode>('video');
  const add = useMutation({
    mutationFn: () => {
      const startsAt = instantAt(newSlot.date, newSlot.time, timezone);
      const endsAt = new Date(startsAt.getTime() + Number(newSlot.minutes) * MINUTE);
      return call(
        api.POST('/api/v1/doctors/me/slots', {
          body: { slots: [{ startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), mode }] },
        }),
      );
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['doctor', 'slots'] }),
  });
  return (
    <SavingForm
      className="mt-4 flex flex-col gap-3 border-t border-stone-200 pt-4"
      mutation={add}
      done={() => t('doctor.schedule.slotAdded')}
      onSave={() => add.mutate()}
      action={t('doctor.schedule.addSlot')}
    >
      <h3 className="font-semibold">{t('doctor.schedule.addSlot')}</h3>
      <div className="grid grid-cols-2 items-end gap-3 sm:grid-cols-4">
        {NEW_SLOT_FIELDS.map(({ field, label, type }) => (
          <Field
            key={field}
            label={t(label)}
            type={type}
            value={newSlot[field]}
            onChange={(e) => setNewSlot({ ...newSlot, [field]: e.target.value })}
          />
        ))}
        <Select
          label={t('doctor.schedule.mode')}
          value={mode}
          onChange={(e) => setMode(e.target.value as Mode)}
        >
          {MODES.map((m) => (
            <option key={m} value={m}>
              {label(t, 'mode', m)}
            </option>
          ))}
        </Select>
      </div>
    </SavingForm>
  );
}
