/**
 * One appointment, for its patient: state, time (patient's zone), doctor, and what can be done
 * now — pay an unpaid hold, cancel (the refund is shown before confirming) or reschedule while it
 * is ahead, join the video room in its window, read the notes and prescription (PDF download) and
 * review a completed consultation once.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'wouter';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { label, StatusBadge } from '../../ui/domain';
import { QueryView } from '../../ui/errors';
import { Card, PageTitle } from '../../ui/kit';
import { CancelAction, CancelledNotice, RescheduleAction } from './appointment-actions';
import { Notes, Prescription, ReviewForm, RoomLink } from './appointment-records';
import { useWhen } from './shared';

export default function AppointmentPage() {
  const { id = '' } = useParams<{ id: string }>();
  const { t } = useI18n();
  const appointment = useQuery({
    queryKey: ['appointment', id],
    queryFn: () => call(api.GET('/api/v1/appointments/{id}', { params: { path: { id } } })),
  });
  return (
    <div className="flex flex-col gap-4">
      <PageTitle>{t('patient.appt.title')}</PageTitle>
      <QueryView query={appointment}>{(data) => <Details appointment={data} />}</QueryView>
    </div>
  );
}

function Details({ appointment }: { appointment: Schemas['Appointment'] }) {
  const { t } = useI18n();
  const format = useFormat();
  const when = useWhen();
  const { status } = appointment;
  const [cancelled, setCancelled] = useState<Schemas['CancelResult'] | null>(null);
  const ahead = Date.parse(appointment.startsAt) > Date.now();
  const changeable = ahead && (status === 'pending_payment' || status === 'confirmed');
  return (
    <>
      {cancelled && <CancelledNotice result={cancelled} />}
      <Card className="flex flex-col gap-3">
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2">
          <dt className="text-stone-700">{t('patient.appt.status')}</dt>
          <dd>
            <StatusBadge status={status} t={t} />
          </dd>
          <dt className="text-stone-700">{t('patient.appt.time')}</dt>
          <dd>{when(appointment.startsAt)}</dd>
          <dt className="text-stone-700">{t('patient.appt.doctor')}</dt>
          <dd>
            <Link href={`/doctors/${appointment.doctorId}`} className="text-emerald-800 underline">
              {appointment.doctorName}
            </Link>
          </dd>
          <dt className="text-stone-700">{t('patient.appt.mode')}</dt>
          <dd>{label(t, 'mode', appointment.mode)}</dd>
          <dt className="text-stone-700">{t('patient.doctor.fee')}</dt>
          <dd>{format.money(appointment.feeMinor, appointment.currency)}</dd>
          {appointment.reason && (
            <>
              <dt className="text-stone-700">{t('patient.appt.reason')}</dt>
              <dd className="whitespace-pre-line">{appointment.reason}</dd>
            </>
          )}
          {appointment.cancelReason && (
            <>
              <dt className="text-stone-700">{t('patient.appt.cancelReason')}</dt>
              <dd className="whitespace-pre-line">{appointment.cancelReason}</dd>
            </>
          )}
        </dl>
        {status === 'pending_payment' && (
          <Link
            href={`/appointments/${appointment.id}/pay`}
            className="self-start rounded-md bg-emerald-800 px-4 py-2.5 font-medium text-white"
          >
            {t('patient.list.pay')}
          </Link>
        )}
      </Card>
      {(status === 'confirmed' || status === 'in_progress') && <RoomLink appointmentId={appointment.id} />}
      {changeable && (
        <Card className="flex flex-col gap-4" aria-labelledby="change-heading">
          <h2 id="change-heading" className="text-xl font-semibold">
            {t('patient.appt.change')}
          </h2>
          <RescheduleAction appointment={appointment} />
          <CancelAction appointment={appointment} onCancelled={setCancelled} />
        </Card>
      )}
      {(status === 'in_progress' || status === 'completed') && (
        <>
          <Notes appointmentId={appointment.id} />
          <Prescription appointmentId={appointment.id} />
        </>
      )}
      {status === 'completed' && <ReviewForm appointmentId={appointment.id} />}
    </>
  );
}
