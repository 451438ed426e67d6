/**
 * Pay for a held booking in the sandbox gateway: doctor, time, fee and a visible countdown of the
 * hold (announced politely once, at a minute left, not every second). "Pay" opens the checkout
 * (POST /payments/{id}/checkout) and plays the gateway's answer (POST …/sandbox/succeed|fail);
 * a real gateway's checkout would sit there. After a capture the confirmation is done by a job,
 * so the appointment is polled (about once a second, bounded) until it says confirmed.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'wouter';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { ErrorNotice, QueryView } from '../../ui/errors';
import { Button, Card, Notice, PageTitle } from '../../ui/kit';
import { patientZone, useWhen } from './shared';

const POLL_LIMIT_MS = 30_000;
type Outcome = 'succeed' | 'fail';

export default function PayPage() {
  const { id = '' } = useParams<{ id: string }>();
  const { t } = useI18n();
  const [waitingSince, setWaitingSince] = useState<number | null>(null);
  const appointment = useQuery({
    queryKey: ['appointment', id],
    queryFn: () => call(api.GET('/api/v1/appointments/{id}', { params: { path: { id } } })),
    refetchInterval: (query) =>
      waitingSince !== null &&
      query.state.data?.status === 'pending_payment' &&
      Date.now() - waitingSince < POLL_LIMIT_MS
        ? 1000
        : false,
  });
  return (
    <div className="flex flex-col gap-4">
      <PageTitle>{t('patient.pay.title')}</PageTitle>
      <QueryView query={appointment}>
        {(booking) => (
          <PayCard
            booking={booking}
            waitingSince={waitingSince}
            onCaptured={() => setWaitingSince(Date.now())}
            onExpired={() => void appointment.refetch()}
          />
        )}
      </QueryView>
    </div>
  );
}

function PayCard({
  booking,
  waitingSince,
  onCaptured,
  onExpired,
}: {
  booking: Schemas['Appointment'];
  waitingSince: number | null;
  onCaptured: () => void;
  onExpired: () => void;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const when = useWhen();
  const pay = useMutation({
    mutationFn: async (outcome: Outcome) => {
      const paymentId = booking.payment?.id ?? '';
      await call(api.POST('/api/v1/payments/{id}/checkout', { params: { path: { id: paymentId } } }));
      return call(
        api.POST('/api/v1/payments/{id}/sandbox/{outcome}', { params: { path: { id: paymentId, outcome } } }),
      );
    },
    onSuccess: (answer) => {
      if (answer.outcome === 'captured' || answer.outcome === 'already_captured') onCaptured();
      else if (answer.outcome === 'refunded_late') onExpired();
    },
  });
  const summary = (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
      <dt className="text-stone-700">{t('patient.appt.doctor')}</dt>
      <dd className="font-medium">{booking.doctorName}</dd>
      <dt className="text-stone-700">{t('patient.appt.time')}</dt>
      <dd>{when(booking.startsAt)}</dd>
      <dt className="text-stone-700">{t('patient.doctor.fee')}</dt>
      <dd className="font-medium">{format.money(booking.feeMinor, booking.currency)}</dd>
    </dl>
  );
  const detailLink = (
    <Link href={`/appointments/${booking.id}`} className="font-medium text-emerald-800 underline">
      {t('patient.pay.seeAppointment')}
    </Link>
  );

  if (booking.status === 'expired') {
    return (
      <Card className="flex flex-col gap-3">
        {summary}
        <Notice tone="warn">{t('patient.pay.expired')}</Notice>
        <Link href={`/doctors/${booking.doctorId}`} className="font-medium text-emerald-800 underline">
          {t('patient.pay.chooseAgain')}
        </Link>
      </Card>
    );
  }
  if (booking.status !== 'pending_payment') {
    const confirmed = ['confirmed', 'in_progress', 'completed'].includes(booking.status);
    return (
      <Card className="flex flex-col gap-3">
        {summary}
        <Notice tone={confirmed ? 'good' : 'warn'}>
          {confirmed ? t('patient.pay.confirmed') : t('patient.pay.notPayable')}
        </Notice>
        {detailLink}
      </Card>
    );
  }
  const waiting = waitingSince !== null;
  return (
    <Card className="flex flex-col gap-3">
      {summary}
      {booking.holdExpiresAt && <Countdown until={booking.holdExpiresAt} onEnd={onExpired} />}
      {waiting ? (
        <WaitingForConfirmation since={waitingSince} link={detailLink} />
      ) : (
        <>
          <p className="max-w-prose text-sm text-stone-700">{t('patient.pay.sandboxNote')}</p>
          <div className="flex flex-wrap gap-2">
            <Button disabled={pay.isPending} onClick={() => pay.mutate('succeed')}>
              {t('patient.pay.succeed')}
            </Button>
            <Button kind="secondary" disabled={pay.isPending} onClick={() => pay.mutate('fail')}>
              {t('patient.pay.fail')}
            </Button>
          </div>
          {pay.data?.outcome === 'failed' && (
            <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-red-900">
              {t('patient.pay.failed')}
            </p>
          )}
          {pay.isError && (
            <ErrorNotice error={pay.error} onRetry={() => pay.variables && pay.mutate(pay.variables)} />
          )}
        </>
      )}
    </Card>
  );
}

function WaitingForConfirmation({ since, link }: { since: number; link: ReactNode }) {
  const { t } = useI18n();
  const [late, setLate] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setLate(true), Math.max(0, since + POLL_LIMIT_MS - Date.now()));
    return () => clearTimeout(timer);
  }, [since]);
  return (
    <>
      <Notice>{late ? t('patient.pay.slow') : t('patient.pay.confirming')}</Notice>
      {late && link}
    </>
  );
}

/** mm:ss to the hold's end, seen but not read out; one polite message at a minute left. */
function Countdown({ until, onEnd }: { until: string; onEnd: () => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const [now, setNow] = useState(Date.now);
  const end = Date.parse(until);
  const left = Math.max(0, end - now);
  const ended = useRef(false);
  useEffect(() => {
    if (left === 0) {
      if (!ended.current) onEnd();
      ended.current = true;
      return;
    }
    const timer = setTimeout(() => setNow(Date.now()), 1000 - (Date.now() % 1000) || 1000);
    return () => clearTimeout(timer);
  }, [left, onEnd]);
  const seconds = Math.ceil(left / 1000);
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  let message = '';
  if (left === 0) message = t('patient.pay.holdEnded');
  else if (seconds <= 60) message = t('patient.pay.lastMinute');
  return (
    <div className="flex flex-col gap-1">
      <p>
        {t('patient.pay.holdUntil', { time: format.time(until, patientZone()) })}{' '}
        <span
          aria-hidden="true"
          className="ml-1 rounded bg-amber-100 px-2 py-0.5 font-mono text-lg text-amber-950"
        >
          {clock}
        </span>
      </p>
      <p role="status" aria-live="polite" className="text-sm font-medium text-amber-900">
        {message}
      </p>
    </div>
  );
}
