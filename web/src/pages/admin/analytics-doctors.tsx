/**
 * The per-doctor table of the analytics page: slots offered and booked, utilization, outcomes,
 * revenue and rating over the chosen days, sorted by one of the API's keys (highest first, names
 * A to Z), keyset-paged; the top specializations over every doctor; and the whole table as CSV
 * (fetched with the session, since the export needs the bearer token).
 */
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, download, type Schemas } from '../../api/client';
import { type MessageKey, useFormat, useI18n } from '../../i18n';
import { ErrorNotice } from '../../ui/errors';
import { Button, Card, Select } from '../../ui/kit';
import { PagedView, ScrollTable, td, th, usePagedList } from './parts';

export interface Range {
  from: string;
  to: string;
  tz: string;
}
type Sort = Schemas['AnalyticsDoctors']['sort'];
/** The sort keys the API knows, labelled like their columns. */
const SORTS: Record<Sort, MessageKey> = {
  revenue: 'admin.analytics.col.revenue',
  booked: 'admin.analytics.sort.booked',
  completed: 'admin.analytics.col.completed',
  utilization: 'admin.analytics.col.utilization',
  noShows: 'admin.analytics.col.noShows',
  slotsOffered: 'admin.analytics.col.slotsOffered',
  rating: 'admin.analytics.col.rating',
  name: 'admin.analytics.sort.name',
};

export function DoctorsTable({ range }: { range: Range }) {
  const { t } = useI18n();
  const format = useFormat();
  const [sort, setSort] = useState<Sort>('revenue');
  const list = usePagedList(['admin', 'analytics', 'doctors', range, sort], (cursor) =>
    call(api.GET('/api/v1/admin/analytics/doctors', { params: { query: { ...range, sort, cursor } } })),
  );
  const csv = useMutation({
    mutationFn: () =>
      download(
        `/admin/analytics/export.csv?${new URLSearchParams({ ...range, sort })}`,
        `amrutam-doctors-${range.from}-${range.to}.csv`,
      ),
  });
  const first = list.data?.pages[0];
  const top = first?.topSpecializations ?? [];
  const currency = first?.currency ?? 'INR';
  const caption = t('admin.analytics.doctors');
  return (
    <Card aria-labelledby="doctors-heading" className="flex flex-col gap-3">
      <h2 id="doctors-heading" className="text-xl font-semibold">
        {caption}
      </h2>
      <div className="flex flex-wrap items-end gap-3">
        <Select
          label={t('admin.analytics.sort')}
          value={sort}
          onChange={(e) => setSort(e.target.value as Sort)}
        >
          {Object.entries(SORTS).map(([key, label]) => (
            <option key={key} value={key}>
              {t(label)}
            </option>
          ))}
        </Select>
        <Button kind="secondary" disabled={csv.isPending} onClick={() => csv.mutate()}>
          {t('admin.analytics.csv')}
        </Button>
      </div>
      {csv.isError && <ErrorNotice error={csv.error} onRetry={() => csv.mutate()} />}
      <PagedView list={list} empty={t('admin.analytics.noDoctors')}>
        {(doctors) => (
          <ScrollTable label={caption}>
            <table className="min-w-full text-sm">
              <caption className="sr-only">{caption}</caption>
              <thead>
                <tr>
                  {(
                    [
                      'admin.analytics.col.name',
                      'admin.analytics.col.specializations',
                      'admin.analytics.col.slotsOffered',
                      'admin.analytics.col.slotsBooked',
                      'admin.analytics.col.utilization',
                      'admin.analytics.col.completed',
                      'admin.analytics.col.noShows',
                      'admin.analytics.col.cancelled',
                      'admin.analytics.col.revenue',
                      'admin.analytics.col.rating',
                    ] as const
                  ).map((key) => (
                    <th key={key} scope="col" className={th}>
                      {t(key)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {doctors.map((d) => (
                  <tr key={d.doctorId}>
                    <th scope="row" className={`${td} text-left font-medium`}>
                      {d.name}
                    </th>
                    <td className={td}>{d.specializations.join(', ')}</td>
                    <td className={`${td} text-right`}>{format.number(d.slotsOffered)}</td>
                    <td className={`${td} text-right`}>{format.number(d.slotsBooked)}</td>
                    <td className={`${td} text-right`}>
                      {d.utilization === null ? t('admin.analytics.noData') : format.percent(d.utilization)}
                    </td>
                    <td className={`${td} text-right`}>{format.number(d.completed)}</td>
                    <td className={`${td} text-right`}>{format.number(d.noShows)}</td>
                    <td className={`${td} text-right`}>{format.number(d.cancelled)}</td>
                    <td className={`${td} text-right whitespace-nowrap`}>
                      {format.money(d.revenueMinor, currency)}
                    </td>
                    <td className={`${td} text-right whitespace-nowrap`}>
                      {d.rating.count === 0
                        ? t('admin.analytics.noRating')
                        : t('admin.analytics.rating', {
                            average: format.number(d.rating.average, 1),
                            count: format.number(d.rating.count),
                          })}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        )}
      </PagedView>
      {top.length > 0 && (
        <section aria-labelledby="top-heading" className="flex flex-col gap-2">
          <h3 id="top-heading" className="text-lg font-semibold">
            {t('admin.analytics.top')}
          </h3>
          <ol className="list-decimal pl-6">
            {top.map((s) => (
              <li key={s.specialization}>
                {t('admin.analytics.topLine', {
                  name: s.specialization,
                  doctors: format.number(s.doctors),
                  booked: format.number(s.booked),
                  revenue: format.money(s.revenueMinor, currency),
                })}
              </li>
            ))}
          </ol>
        </section>
      )}
    </Card>
  );
}
