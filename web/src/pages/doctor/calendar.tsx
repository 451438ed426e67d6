/**
 * The doctor's appointments by day or by week (Monday first), in the doctor's own time zone,
 * each linking to its consultation page with the patient's name, status and mode. The view and
 * the date live in the address (?view=week&date=YYYY-MM-DD), so a reload or a link keeps them.
 * On a phone the week's days stack instead of scrolling sideways.
 */
import { useQuery } from '@tanstack/react-query';
import { Link, useLocation, useSearch } from 'wouter';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { label as codeLabel, StatusBadge } from '../../ui/domain';
import { QueryView } from '../../ui/errors';
import { Badge, Button, PageTitle } from '../../ui/kit';
import { useOwnProfile } from './data';
import { NeedProfile } from './fields';
import { addDays, byDay, mondayOf, startOfDay, todayIn } from './zoned';

type Appointment = Schemas['AppointmentListItem'];
type View = 'day' | 'week';
const MAX_PAGES = 10;

async function appointmentsBetween(from: string, to: string): Promise<Appointment[]> {
  const all: Appointment[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await call(
      api.GET('/api/v1/appointments', { params: { query: { from, to, limit: 100, cursor } } }),
    );
    all.push(...result.items);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return all;
}

export default function CalendarPage() {
  const { t } = useI18n();
  const profile = useOwnProfile();
  return (
    <>
      <PageTitle>{t('doctor.calendar.title')}</PageTitle>
      <QueryView query={profile}>
        {(own) => (own ? <Calendar timezone={own.timezone} /> : <NeedProfile />)}
      </QueryView>
    </>
  );
}

function Calendar({ timezone }: { timezone: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const view: View = search.get('view') === 'week' ? 'week' : 'day';
  const today = todayIn(timezone);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(search.get('date') ?? '') ? (search.get('date') ?? today) : today;
  const first = view === 'week' ? mondayOf(date) : date;
  const days = Array.from({ length: view === 'week' ? 7 : 1 }, (_, i) => addDays(first, i));
  const from = startOfDay(first, timezone).toISOString();
  const to = startOfDay(addDays(first, days.length), timezone).toISOString();
  const appointments = useQuery({
    queryKey: ['doctor', 'appointments', from, to],
    queryFn: () => appointmentsBetween(from, to),
  });
  const go = (next: { view?: View; date?: string }) =>
    navigate(`/doctor?view=${next.view ?? view}&date=${next.date ?? date}`);
  const step = view === 'week' ? 7 : 1;
  const label = (iso: string) => format.day(iso, timezone);

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-2">
        <fieldset className="flex gap-1">
          <legend className="sr-only">{t('doctor.calendar.view')}</legend>
          {(['day', 'week'] as const).map((v) => (
            <Button
              key={v}
              kind={v === view ? 'primary' : 'secondary'}
              aria-pressed={v === view}
              onClick={() => go({ view: v })}
            >
              {t(`doctor.calendar.${v}`)}
            </Button>
          ))}
        </fieldset>
        <Button kind="secondary" onClick={() => go({ date: addDays(date, -step) })}>
          {t(view === 'week' ? 'doctor.calendar.previousWeek' : 'doctor.calendar.previousDay')}
        </Button>
        <Button kind="secondary" onClick={() => go({ date: today })}>
          {t('common.today')}
        </Button>
        <Button kind="secondary" onClick={() => go({ date: addDays(date, step) })}>
          {t(view === 'week' ? 'doctor.calendar.nextWeek' : 'doctor.calendar.nextDay')}
        </Button>
      </div>
      <h2 className="text-xl font-semibold" aria-live="polite">
        {view === 'week' ? t('doctor.calendar.weekOf', { date: label(from) }) : label(from)}
      </h2>
      <p className="text-stone-600">{t('doctor.zone', { zone: timezone })}</p>
      <QueryView query={appointments}>
        {(items) => (
          <div
            className={view === 'week' ? 'grid grid-cols-1 gap-3 lg:grid-cols-7' : ''}
            data-testid="calendar"
          >
            {byDay(items, days, timezone).map(({ day, items: dayItems }) => (
              <section
                key={day}
                aria-label={label(startOfDay(day, timezone).toISOString())}
                className="min-w-0"
              >
                {view === 'week' && (
                  <h3 className={`mb-2 font-semibold ${day === today ? 'text-emerald-800 underline' : ''}`}>
                    {format.shortDay(startOfDay(day, timezone).toISOString(), timezone)}
                  </h3>
                )}
                {dayItems.length === 0 ? (
                  <p className="text-stone-600">{t('doctor.calendar.empty')}</p>
                ) : (
                  <ul className="flex flex-col gap-2">
                    {dayItems.map((a) => (
                      <li key={a.id}>
                        <AppointmentCard appointment={a} timezone={timezone} />
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            ))}
          </div>
        )}
      </QueryView>
    </div>
  );
}

function AppointmentCard({ appointment: a, timezone }: { appointment: Appointment; timezone: string }) {
  const { t } = useI18n();
  const format = useFormat();
  return (
    <Link
      href={`/doctor/appointments/${a.id}`}
      className="flex flex-col gap-1 rounded-md border border-stone-300 bg-white p-2 hover:bg-stone-50"
    >
      <span className="font-medium text-emerald-900 underline break-words">
        {t('doctor.calendar.with', { time: format.time(a.startsAt, timezone), name: a.patientName })}
      </span>
      <span className="flex flex-wrap gap-1">
        <StatusBadge status={a.status} t={t} />
        <Badge>{codeLabel(t, 'mode', a.mode)}</Badge>
      </span>
    </Link>
  );
}
