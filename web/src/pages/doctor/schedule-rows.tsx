/**
 * The rows of the schedule editor: hours on a weekday, and a date with other hours or a day off.
 * Plain controlled inputs; the API checks the rules (end after start, no overlaps) on save.
 */
import type { Schemas } from '../../api/client';
import { useI18n } from '../../i18n';
import { label, MODES, type Mode } from '../../ui/domain';
import { Button, Field, Select } from '../../ui/kit';

export type Hours = Pick<Schemas['ScheduleRuleInput'], 'start' | 'end' | 'slotMinutes' | 'mode'>;
export type RuleRow = Hours & { key: number; weekday: number };
export type OverrideRow = Hours & { key: number; date: string; unavailable: boolean };

/** From, until, slot length and mode: the same four inputs in a weekly row and a date row. */
function HoursInputs<T extends Hours>({ row, onChange }: { row: T; onChange: (next: T) => void }) {
  const { t } = useI18n();
  return (
    <>
      <Field
        label={t('doctor.schedule.start')}
        type="time"
        value={row.start}
        onChange={(e) => onChange({ ...row, start: e.target.value })}
      />
      <Field
        label={t('doctor.schedule.end')}
        type="time"
        value={row.end}
        onChange={(e) => onChange({ ...row, end: e.target.value })}
      />
      <Field
        label={t('doctor.schedule.slotMinutes')}
        type="number"
        min={5}
        max={240}
        value={row.slotMinutes}
        onChange={(e) => onChange({ ...row, slotMinutes: Number(e.target.value) })}
      />
      <Select
        label={t('doctor.schedule.mode')}
        value={row.mode}
        onChange={(e) => onChange({ ...row, mode: e.target.value as Mode })}
      >
        {MODES.map((m) => (
          <option key={m} value={m}>
            {label(t, 'mode', m)}
          </option>
        ))}
      </Select>
    </>
  );
}

const rowGrid = 'grid grid-cols-2 items-end gap-3 sm:grid-cols-5';

export function RuleRowEditor({
  row,
  onChange,
  onRemove,
}: {
  row: RuleRow;
  onChange: (next: RuleRow) => void;
  onRemove: () => void;
}) {
  const { t } = useI18n();
  const what = `${t(`doctor.weekday.${row.weekday}` as 'doctor.weekday.1')} ${row.start}–${row.end}`;
  return (
    <div className={rowGrid}>
      <HoursInputs row={row} onChange={onChange} />
      <Button kind="secondary" onClick={onRemove} aria-label={t('doctor.schedule.removeRow', { what })}>
        {t('doctor.schedule.remove')}
      </Button>
    </div>
  );
}

export function OverrideRowEditor({
  row,
  onChange,
  onRemove,
}: {
  row: OverrideRow;
  onChange: (next: OverrideRow) => void;
  onRemove: () => void;
}) {
  const { t } = useI18n();
  return (
    <div className="flex flex-col gap-3 border-t border-stone-200 pt-3 first:border-t-0 first:pt-0">
      <div className="flex flex-wrap items-end gap-4">
        <Field
          label={t('doctor.schedule.date')}
          type="date"
          value={row.date}
          onChange={(e) => onChange({ ...row, date: e.target.value })}
        />
        <label className="flex min-h-11 items-center gap-2">
          <input
            type="checkbox"
            className="size-5"
            checked={row.unavailable}
            onChange={(e) => onChange({ ...row, unavailable: e.target.checked })}
          />
          {t('doctor.schedule.dayOff')}
        </label>
        <Button
          kind="secondary"
          onClick={onRemove}
          aria-label={t('doctor.schedule.removeRow', { what: row.date })}
        >
          {t('doctor.schedule.remove')}
        </Button>
      </div>
      {!row.unavailable && (
        <div className={rowGrid}>
          <HoursInputs row={row} onChange={onChange} />
        </div>
      )}
    </div>
  );
}
