/**
 * One appointment as its doctor runs it: the details, the lifecycle steps the status allows
 * (confirmed: start or no-show; in progress: complete) with the API's time-window problems shown
 * with the moment the step opens, the video room link, the clinical notes and the prescription
 * (in progress or completed). Times are in the doctor's zone.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'wouter';
import { ApiError, api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { label, StatusBadge } from '../../ui/domain';
import { ErrorNotice, QueryView } from '../../ui/errors';
import { Button, Card, Notice, PageTitle } from '../../ui/kit';
import { useOwnProfile } from './data';
import { NotesForm } from './notes-form';
import { Prescription } from './prescription';

type Appointment = Schemas['Appointment'];
type Step = 'start' | 'complete' | 'no-show';
const STEPS: Record<string, Step[]> = { confirmed: ['start', 'no-show'], in_progress: ['complete'] };
const STEP_LABEL = {
  start: 'doctor.consult.start',
  complete: 'doctor.consult.complete',
  'no-show': 'doctor.consult.noShow',
} as const;
const STEP_DONE = {
  start: 'doctor.consult.started',
  complete: 'doctor.consult.completed',
  'no-show': 'doctor.consult.noShowDone',
} as const;

export default function ConsultationPage() {
  const { id = '' } = useParams<{ id: string }>();
  const { t } = useI18n();
  const profile = useOwnProfile();
  const appointment = useQuery({
    queryKey: ['appointment', id],
    queryFn: () => call(api.GET('/api/v1/appointments/{id}', { params: { path: { id } } })),
  });
  return (
    <div className="flex flex-col gap-4">
      <Link href="/doctor" className="text-emerald-800 underline">
        {t('doctor.consult.back')}
      </Link>
      <QueryView query={appointment}>
        {(a) => <Consultation appointment={a} timezone={profile.data?.timezone ?? 'Asia/Kolkata'} />}
      </QueryView>
    </div>
  );
}

function Consultation({ appointment: a, timezone }: { appointment: Appointment; timezone: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const open = a.status === 'in_progress' || a.status === 'completed';
  return (
    <>
      <PageTitle aside={<StatusBadge status={a.status} t={t} />}>
        {t('doctor.consult.title', { name: a.patientName })}
      </PageTitle>
      <Card>
        <dl className="grid grid-cols-1 gap-x-4 gap-y-2 sm:grid-cols-[max-content_1fr]">
          <dt className="font-medium">{t('doctor.consult.when')}</dt>
          <dd>
            {format.dateTime(a.startsAt, timezone)} – {format.time(a.endsAt, timezone)} ({timezone})
          </dd>
          <dt className="font-medium">{t('doctor.consult.mode')}</dt>
          <dd>{label(t, 'mode', a.mode)}</dd>
          <dt className="font-medium">{t('doctor.consult.status')}</dt>
          <dd data-testid="status">{label(t, 'status', a.status)}</dd>
          <dt className="font-medium">{t('doctor.consult.fee')}</dt>
          <dd>{format.money(a.feeMinor, a.currency)}</dd>
          <dt className="font-medium">{t('doctor.consult.reason')}</dt>
          <dd className="break-words">{a.reason ?? t('doctor.consult.noReason')}</dd>
        </dl>
        <Lifecycle appointment={a} timezone={timezone} />
      </Card>
      {(a.status === 'confirmed' || a.status === 'in_progress') && <Room id={a.id} timezone={timezone} />}
      <NotesForm appointmentId={a.id} open={open} timezone={timezone} />
      <Prescription appointmentId={a.id} open={open} />
    </>
  );
}

/** The problem's `opensAt`, when a time window refused the step. */
function opensAtOf(error: unknown): string | undefined {
  return error instanceof ApiError ? (error.problem?.opensAt ?? undefined) : undefined;
}

function Lifecycle({ appointment: a, timezone }: { appointment: Appointment; timezone: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const queryClient = useQueryClient();
  const advance = useMutation({
    mutationFn: (step: Step) => {
      const params = { params: { path: { id: a.id } } };
      if (step === 'start') return call(api.POST('/api/v1/appointments/{id}/start', params));
      if (step === 'complete') return call(api.POST('/api/v1/appointments/{id}/complete', params));
      return call(api.POST('/api/v1/appointments/{id}/no-show', params));
    },
    onSuccess: (updated) => {
      queryClient.setQueryData(['appointment', a.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['doctor', 'appointments'] });
    },
  });
  const steps = STEPS[a.status] ?? [];
  const opensAt = opensAtOf(advance.error);
  return (
    <div className="mt-4 flex flex-col gap-3">
      {advance.isSuccess && advance.variables && <Notice>{t(STEP_DONE[advance.variables])}</Notice>}
      {advance.isError && (
        <div className="flex flex-col gap-1">
          <ErrorNotice error={advance.error} />
          {opensAt && (
            <Notice tone="warn">
              {t('doctor.consult.opensAt', { time: format.dateTime(opensAt, timezone) })}
            </Notice>
          )}
        </div>
      )}
      {steps.length > 0 && (
        <div className="flex flex-wrap gap-2">
          {steps.map((step) => (
            <Button
              key={step}
              kind={step === 'no-show' ? 'danger' : 'primary'}
              disabled={advance.isPending}
              onClick={() => advance.mutate(step)}
            >
              {t(STEP_LABEL[step])}
            </Button>
          ))}
        </div>
      )}
    </div>
  );
}

function Room({ id, timezone }: { id: string; timezone: string }) {
  const { t } = useI18n();
  const format = useFormat();
  const room = useMutation({
    mutationFn: () => call(api.GET('/api/v1/appointments/{id}/room', { params: { path: { id } } })),
  });
  const opensAt = opensAtOf(room.error);
  return (
    <Card>
      <h2 className="mb-3 text-lg font-semibold text-emerald-950">{t('doctor.consult.room')}</h2>
      {room.data ? (
        <div className="flex flex-col gap-2">
          <a
            href={room.data.joinUrl}
            target="_blank"
            rel="noopener noreferrer"
            className="inline-flex min-h-11 items-center self-start rounded-md bg-emerald-800 px-4 py-2 font-medium text-white underline"
          >
            {t('doctor.consult.join')}
          </a>
          <p className="text-stone-600">
            {t('doctor.consult.roomUntil', { time: format.dateTime(room.data.expiresAt, timezone) })}
          </p>
        </div>
      ) : (
        <Button kind="secondary" disabled={room.isPending} onClick={() => room.mutate()}>
          {t('doctor.consult.getRoom')}
        </Button>
      )}
      {room.isError && (
        <div className="mt-2 flex flex-col gap-1">
          <ErrorNotice error={room.error} />
          {opensAt && (
            <Notice tone="warn">
              {t('doctor.consult.opensAt', { time: format.dateTime(opensAt, timezone) })}
            </Notice>
          )}
        </div>
      )}
    </Card>
  );
}
