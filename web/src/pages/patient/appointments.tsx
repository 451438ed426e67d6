/**
 * My appointments: upcoming (starting from now, soonest first) and past (started before now),
 * each paged with the API's cursor. A row says the doctor, the time in the patient's zone and the
 * state, and links to the appointment (an unpaid hold also to its pay page).
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, call, type Schemas } from '../../api/client';
import { type MessageKey, useI18n } from '../../i18n';
import { label, StatusBadge } from '../../ui/domain';
import { ErrorNotice } from '../../ui/errors';
import { Card, PageTitle, ShowMore } from '../../ui/kit';
import { useWhen } from './shared';

type Range = { from: string } | { to: string };

export default function MyAppointmentsPage() {
  const { t } = useI18n();
  const [now] = useState(() => new Date().toISOString());
  return (
    <div className="flex flex-col gap-4">
      <PageTitle>{t('patient.list.title')}</PageTitle>
      <AppointmentList which="upcoming" title="patient.list.upcoming" range={{ from: now }} />
      <AppointmentList which="past" title="patient.list.past" range={{ to: now }} />
    </div>
  );
}

function AppointmentList({ which, title, range }: { which: string; title: MessageKey; range: Range }) {
  const { t } = useI18n();
  const list = useInfiniteQuery({
    queryKey: ['appointments', which, range],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/appointments', {
          params: { query: { ...range, limit: 20, ...(pageParam && { cursor: pageParam }) } },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const headingId = `${which}-heading`;
  return (
    <Card aria-labelledby={headingId} className="flex flex-col gap-3">
      <h2 id={headingId} className="text-xl font-semibold">
        {t(title)}
      </h2>
      {list.isPending && <p className="text-stone-600">{t('common.loading')}</p>}
      {list.isError && <ErrorNotice error={list.error} onRetry={() => void list.refetch()} />}
      {list.isSuccess && items.length === 0 && <p>{t('patient.list.none')}</p>}
      <ul className="flex flex-col divide-y divide-stone-200">
        {items.map((appointment) => (
          <Row key={appointment.id} appointment={appointment} />
        ))}
      </ul>
      <ShowMore list={list}>{t('common.more')}</ShowMore>
    </Card>
  );
}

function Row({ appointment }: { appointment: Schemas['AppointmentListItem'] }) {
  const { t } = useI18n();
  const when = useWhen();
  return (
    <li
      className="flex flex-wrap items-center justify-between gap-2 py-3"
      data-appointment-id={appointment.id}
    >
      <div className="flex flex-col">
        <span className="font-medium">{appointment.doctorName}</span>
        <span className="text-stone-700">
          {when(appointment.startsAt)} · {label(t, 'mode', appointment.mode)}
        </span>
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <StatusBadge status={appointment.status} t={t} />
        {appointment.status === 'pending_payment' && (
          <Link
            href={`/appointments/${appointment.id}/pay`}
            className="py-2 font-medium text-emerald-800 underline"
          >
            {t('patient.list.pay')}
          </Link>
        )}
        <Link
          href={`/appointments/${appointment.id}`}
          className="py-2 font-medium text-emerald-800 underline"
        >
          {t('patient.list.open')}
          <span className="sr-only">
            : {appointment.doctorName}, {when(appointment.startsAt)}
          </span>
        </Link>
      </div>
    </li>
  );
}
