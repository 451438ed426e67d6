/**
 * The weekly schedule form: hours per weekday (any number of rows each), dates with other hours
 * or a day off, and the booking rules (horizon, buffer, notice). Saving PUTs the whole schedule;
 * the server regenerates the open slots and says how many it added and removed.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { type MessageKey, useI18n } from '../../i18n';
import { Button, Field } from '../../ui/kit';
import { SavingForm, Section } from './fields';
import {
  type Hours,
  type OverrideRow,
  OverrideRowEditor,
  type RuleRow,
  RuleRowEditor,
} from './schedule-rows';
import { addDays, todayIn } from './zoned';

type Schedule = Schemas['Schedule'];
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;
const DEFAULT_HOURS: Hours = { start: '09:00', end: '13:00', slotMinutes: 30, mode: 'video' };

/** The booking rules' inputs: how far ahead, the gap between slots, the least notice. */
const BOOKING_RULE_FIELDS = [
  { field: 'horizonDays', label: 'doctor.schedule.horizon' },
  { field: 'bufferMinutes', label: 'doctor.schedule.buffer' },
  { field: 'minNoticeMinutes', label: 'doctor.schedule.notice' },
] as const satisfies readonly { field: string; label: MessageKey }[];

export const SCHEDULE_KEY = ['doctor', 'schedule'] as const;

export function ScheduleEditor({ schedule, timezone }: { schedule: Schedule | null; timezone: string }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const nextKey = useRef(0);
  const keyed = <T,>(row: T) => ({ ...row, key: nextKey.current++ });
  const [rules, setRules] = useState<RuleRow[]>(() => (schedule?.rules ?? []).map(keyed));
  const [overrides, setOverrides] = useState<OverrideRow[]>(() =>
    (schedule?.overrides ?? []).map((o) => keyed({ ...DEFAULT_HOURS, unavailable: false, ...o })),
  );
  const [bookingRules, setBookingRules] = useState({
    horizonDays: String(schedule?.horizonDays ?? 30),
    bufferMinutes: String(schedule?.bufferMinutes ?? 0),
    minNoticeMinutes: String(schedule?.minNoticeMinutes ?? 0),
  });

  const save = useMutation({
    mutationFn: (body: Schemas['ScheduleRequest']) => call(api.PUT('/api/v1/doctors/me/schedule', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['doctor'] }),
  });
  const submit = () =>
    save.mutate({
      rules: rules.map(({ weekday, start, end, slotMinutes, mode }) => ({
        weekday,
        start,
        end,
        slotMinutes,
        mode,
      })),
      overrides: overrides.map(({ date, unavailable, start, end, slotMinutes, mode }) =>
        unavailable ? { date, unavailable } : { date, start, end, slotMinutes, mode },
      ),
      horizonDays: Number(bookingRules.horizonDays),
      bufferMinutes: Number(bookingRules.bufferMinutes),
      minNoticeMinutes: Number(bookingRules.minNoticeMinutes),
    });

  const changeRule = (next: RuleRow) => setRules(rules.map((r) => (r.key === next.key ? next : r)));
  const changeOverride = (next: OverrideRow) =>
    setOverrides(overrides.map((o) => (o.key === next.key ? next : o)));
  const addOverride = () =>
    setOverrides([
      ...overrides,
      keyed({ ...DEFAULT_HOURS, date: addDays(todayIn(timezone), 1), unavailable: true }),
    ]);

  return (
    <SavingForm
      className="flex flex-col gap-4"
      mutation={save}
      done={({ added, removed }) => t('doctor.schedule.saved', { added, removed })}
      onSave={submit}
      action={t('common.save')}
    >
      <Section title={t('doctor.schedule.weekly')}>
        <div className="flex flex-col gap-4">
          {WEEKDAYS.map((weekday) => {
            const dayName = t(`doctor.weekday.${weekday}`);
            const dayRules = rules.filter((r) => r.weekday === weekday);
            return (
              <fieldset key={weekday} className="flex flex-col gap-3 border-t border-stone-200 pt-3">
                <legend className="float-left font-semibold">{dayName}</legend>
                {dayRules.length === 0 && <p className="text-stone-600">{t('doctor.schedule.noHours')}</p>}
                {dayRules.map((row) => (
                  <RuleRowEditor
                    key={row.key}
                    row={row}
                    onChange={changeRule}
                    onRemove={() => setRules(rules.filter((r) => r.key !== row.key))}
                  />
                ))}
                <div>
                  <Button
                    kind="secondary"
                    onClick={() => setRules([...rules, keyed({ ...DEFAULT_HOURS, weekday })])}
                  >
                    {t('doctor.schedule.addHours', { day: dayName })}
                  </Button>
                </div>
              </fieldset>
            );
          })}
        </div>
      </Section>
      <Section title={t('doctor.schedule.overrides')}>
        <p className="mb-3 text-stone-600">{t('doctor.schedule.overridesHelp')}</p>
        <div className="flex flex-col gap-3">
          {overrides.length === 0 && <p>{t('doctor.schedule.noOverrides')}</p>}
          {overrides.map((row) => (
            <OverrideRowEditor
              key={row.key}
              row={row}
              onChange={changeOverride}
              onRemove={() => setOverrides(overrides.filter((o) => o.key !== row.key))}
            />
          ))}
          <div>
            <Button kind="secondary" onClick={addOverride}>
              {t('doctor.schedule.addOverride')}
            </Button>
          </div>
        </div>
      </Section>
      <Section title={t('doctor.schedule.rules')}>
        <div className="grid gap-4 sm:grid-cols-3">
          {BOOKING_RULE_FIELDS.map(({ field, label }) => (
            <Field
              key={field}
              label={t(label)}
              type="number"
              value={bookingRules[field]}
              onChange={(e) => setBookingRules({ ...bookingRules, [field]: e.target.value })}
            />
          ))}
        </div>
      </Section>
    </SavingForm>
  );
}
