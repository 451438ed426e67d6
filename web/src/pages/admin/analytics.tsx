/**
 * How the business ran over a range of days (default the last 30, cut in the browser's time zone):
 * summary tiles, appointments per day by status and revenue per day as charts (each with its
 * numbers as a table), then the per-doctor table with the top specializations and a CSV download.
 * The figures come from rollups that catch up within seconds; while changes are pending the page
 * says so and refreshes itself.
 */

import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useCallback, useMemo, useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { type MessageKey, useFormat, useI18n } from '../../i18n';
import { browserZone } from '../../i18n/zones';
import { QueryView } from '../../ui/errors';
import { Button, Card, Field, Notice, PageTitle, Select } from '../../ui/kit';
import { DayChart, type DaySeries } from './analytics-chart';
import { DoctorsTable, type Range } from './analytics-doctors';

type Overview = Schemas['AnalyticsOverview'];
type Status = keyof Overview['appointments'];
const STATUS_COLOURS: Record<Status, string> = {
  confirmed: '#047857',
  completed: '#1d4ed8',
  in_progress: '#0e7490',
  pending_payment: '#7e22ce',
  cancelled: '#b91c1c',
  no_show: '#a16207',
  expired: '#57534e',
};
const STATUSES = Object.keys(STATUS_COLOURS) as Status[];
const REFRESH_MS = 2000;

const todayIn = (timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  );
function addDays(date: string, days: number): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}
function defaultRange(): Range {
  const tz = browserZone();
  const to = todayIn(tz);
  return { from: addDays(to, -29), to, tz };
}

export default function AnalyticsPage() {
  const { t } = useI18n();
  const [range, setRange] = useState<Range>(defaultRange);
  const zones = useMemo(() => {
    const all = Intl.supportedValuesOf('timeZone');
    return all.includes(range.tz) ? all : [range.tz, ...all];
  }, [range.tz]);
  const overview = useQuery({
    queryKey: ['admin', 'analytics', 'overview', range],
    queryFn: () => call(api.GET('/api/v1/admin/analytics/overview', { params: { query: range } })),
    refetchInterval: (query) => (query.state.data?.pendingChanges ? REFRESH_MS : false),
  });
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setRange({ from: String(form.get('from')), to: String(form.get('to')), tz: String(form.get('tz')) });
  };
  return (
    <div className="flex flex-col gap-6">
      <PageTitle>{t('admin.analytics.title')}</PageTitle>
      <form
        onSubmit={apply}
        className="flex flex-wrap items-end gap-3"
        aria-label={t('admin.analytics.range')}
      >
        <Field name="from" type="date" label={t('admin.analytics.from')} defaultValue={range.from} required />
        <Field name="to" type="date" label={t('admin.analytics.to')} defaultValue={range.to} required />
        <Select
          name="tz"
          label={t('admin.analytics.tz')}
          defaultValue={range.tz}
          className="min-w-0 max-w-full"
        >
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {zone}
            </option>
          ))}
        </Select>
        <Button type="submit">{t('admin.analytics.apply')}</Button>
      </form>
      <QueryView query={overview}>{(data) => <OverviewView data={data} />}</QueryView>
      <DoctorsTable range={range} />
    </div>
  );
}

function OverviewView({ data }: { data: Overview }) {
  const { t } = useI18n();
  const format = useFormat();
  const currency = data.revenue[0]?.currency ?? 'INR';
  const revenue = data.revenue.find((r) => r.currency === currency);
  const rate = (value: number | null) =>
    value === null ? t('admin.analytics.noData') : format.percent(value);
  const tiles: [MessageKey, string][] = [
    ['admin.analytics.booked', format.number(data.booked)],
    ['admin.analytics.revenueNet', format.money(revenue?.netMinor ?? 0, currency)],
    ['admin.analytics.refunded', format.money(revenue?.refundedMinor ?? 0, currency)],
    ['admin.analytics.cancellationRate', rate(data.cancellationRate)],
    ['admin.analytics.noShowRate', rate(data.noShowRate)],
    [
      'admin.analytics.leadTime',
      data.averageLeadHours === null
        ? t('admin.analytics.noData')
        : t('admin.analytics.hours', { hours: format.number(data.averageLeadHours, 1) }),
    ],
    ['admin.analytics.newPatients', format.number(data.newPatients)],
  ];
  const days = useMemo(() => data.days.map((d) => d.date), [data]);
  const statusLabel = useCallback((s: Status) => t(`admin.analytics.status.${s}`), [t]);
  const bySeries = useMemo<DaySeries[]>(
    () =>
      STATUSES.map((s) => ({
        label: statusLabel(s),
        colour: STATUS_COLOURS[s],
        values: data.days.map((d) => d.appointments[s]),
      })),
    [data, statusLabel],
  );
  const revenueSeries = useMemo<DaySeries[]>(
    () => [
      {
        label: t('admin.analytics.revenueNet'),
        colour: '#047857',
        values: data.days.map((d) => (d.revenue.find((r) => r.currency === currency)?.netMinor ?? 0) / 100),
      },
    ],
    [data, currency, t],
  );
  const count = useCallback((n: number) => format.number(n), [format]);
  const money = useCallback(
    (major: number) => format.money(Math.round(major * 100), currency),
    [format, currency],
  );
  return (
    <div className="flex flex-col gap-6">
      {data.pendingChanges > 0 && (
        <Notice tone="warn">
          {t('admin.analytics.pending', { count: format.number(data.pendingChanges) })}
        </Notice>
      )}
      <section aria-labelledby="summary-heading" className="flex flex-col gap-3">
        <h2 id="summary-heading" className="text-xl font-semibold">
          {t('admin.analytics.summary')}
        </h2>
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4">
          {tiles.map(([key, value]) => (
            <div key={key} className="rounded-lg border border-stone-200 bg-white p-3 shadow-sm">
              <dt className="text-sm text-stone-700">{t(key)}</dt>
              <dd className="text-xl font-semibold break-words">{value}</dd>
            </div>
          ))}
        </dl>
        <dl className="flex flex-wrap gap-x-4 gap-y-1 text-sm" aria-label={t('admin.analytics.byStatus')}>
          {STATUSES.map((s) => (
            <div key={s} className="flex gap-1">
              <dt>{statusLabel(s)}:</dt>
              <dd className="font-semibold">{format.number(data.appointments[s])}</dd>
            </div>
          ))}
        </dl>
      </section>
      <Card>
        <DayChart
          caption={t('admin.analytics.chartAppointments')}
          days={days}
          series={bySeries}
          formatValue={count}
          whole
        />
      </Card>
      <Card>
        <DayChart
          caption={t('admin.analytics.chartRevenue', { currency })}
          days={days}
          series={revenueSeries}
          formatValue={money}
        />
      </Card>
    </div>
  );
}
