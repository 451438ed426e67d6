/**
 * Changing an appointment that is still ahead. Cancel: first the refund a cancellation would give
 * now (GET …/cancellation, changes nothing), then a reason and the confirmation. Reschedule: the
 * doctor's live slot grid, then the confirmation. Both send an Idempotency-Key reused when the same
 * attempt is retried; a slot taken meanwhile refreshes the grid and says so.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { ApiError, api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { ErrorNotice, QueryView } from '../../ui/errors';
import { Button, Notice, TextArea } from '../../ui/kit';
import { slotsKey } from './live-slots';
import { useIdempotencyKey, useWhen } from './shared';
import { SlotGrid } from './slot-grid';

type Appointment = Schemas['Appointment'];

function useRefreshAppointment(id: string) {
  const queries = useQueryClient();
  return () => {
    void queries.invalidateQueries({ queryKey: ['appointment', id] });
    void queries.invalidateQueries({ queryKey: ['appointments'] });
  };
}

/** An action opened for confirming, under its own heading; `edge` colours its border. */
function ActionPanel({ title, edge, children }: { title: string; edge: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className={`flex flex-col gap-3 rounded-md border ${edge} p-3`}>
      <h3 id={id} className="font-semibold">
        {title}
      </h3>
      {children}
    </section>
  );
}

/** What a cancellation did: shown by the page (the cancel form is gone once the state changes). */
export function CancelledNotice({ result }: { result: Schemas['CancelResult'] }) {
  const { t } = useI18n();
  const format = useFormat();
  return (
    <Notice>
      {t('patient.cancel.done')}{' '}
      {result.refund.status === 'pending'
        ? t('patient.cancel.refunding', { amount: format.money(result.refund.amountMinor, result.currency) })
        : t('patient.cancel.nothingBack')}
    </Notice>
  );
}

export function CancelAction({
  appointment,
  onCancelled,
}: {
  appointment: Appointment;
  onCancelled: (result: Schemas['CancelResult']) => void;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const when = useWhen();
  const refresh = useRefreshAppointment(appointment.id);
  const [asking, setAsking] = useState(false);
  const keyFor = useIdempotencyKey();
  const quote = useQuery({
    queryKey: ['cancellation', appointment.id],
    queryFn: () =>
      call(api.GET('/api/v1/appointments/{id}/cancellation', { params: { path: { id: appointment.id } } })),
    enabled: asking,
    staleTime: 0,
  });
  const cancel = useMutation({
    mutationFn: (reason: string) =>
      call(
        api.POST('/api/v1/appointments/{id}/cancel', {
          params: { path: { id: appointment.id }, header: { 'idempotency-key': keyFor(reason) } },
          body: { reason },
        }),
      ),
    onSuccess: (result) => {
      onCancelled(result);
      refresh();
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    cancel.mutate(String(new FormData(event.currentTarget).get('reason') ?? '').trim());
  };

  if (!asking) {
    return (
      <Button kind="danger" className="self-start" onClick={() => setAsking(true)}>
        {t('patient.cancel.start')}
      </Button>
    );
  }
  return (
    <ActionPanel title={t('patient.cancel.title')} edge="border-red-200">
      <QueryView query={quote}>
        {(q) =>
          q.canCancel ? (
            <form onSubmit={submit} className="flex flex-col gap-3">
              <p className="text-lg font-medium" data-testid="refund-preview">
                {q.refundMinor > 0
                  ? t('patient.cancel.youGetBack', { amount: format.money(q.refundMinor, q.currency) })
                  : t('patient.cancel.noRefund')}
              </p>
              {q.fullRefundUntil && Date.parse(q.fullRefundUntil) > Date.now() && (
                <p className="text-sm text-stone-700">
                  {t('patient.cancel.fullUntil', { time: when(q.fullRefundUntil) })}
                </p>
              )}
              <TextArea
                label={t('patient.cancel.reason')}
                name="reason"
                required
                minLength={1}
                maxLength={1000}
              />
              {cancel.isError && <ErrorNotice error={cancel.error} />}
              <div className="flex flex-wrap gap-2">
                <Button type="submit" kind="danger" disabled={cancel.isPending}>
                  {t('patient.cancel.confirm')}
                </Button>
                <Button kind="secondary" onClick={() => setAsking(false)}>
                  {t('patient.cancel.keep')}
                </Button>
              </div>
            </form>
          ) : (
            <Notice tone="warn">{q.reason ?? t('patient.cancel.notNow')}</Notice>
          )
        }
      </QueryView>
    </ActionPanel>
  );
}

export function RescheduleAction({ appointment }: { appointment: Appointment }) {
  const { t } = useI18n();
  const when = useWhen();
  const queries = useQueryClient();
  const refresh = useRefreshAppointment(appointment.id);
  const [open, setOpen] = useState(false);
  const [picked, setPicked] = useState<Schemas['Slot'] | null>(null);
  const [taken, setTaken] = useState(false);
  const keyFor = useIdempotencyKey();
  const move = useMutation({
    mutationFn: (slotId: string) =>
      call(
        api.POST('/api/v1/appointments/{id}/reschedule', {
          params: { path: { id: appointment.id }, header: { 'idempotency-key': keyFor(slotId) } },
          body: { slotId },
        }),
      ),
    onSuccess: () => {
      setOpen(false);
      setPicked(null);
      refresh();
    },
    onError: (error) => {
      if (error instanceof ApiError && error.code === 'SLOT_UNAVAILABLE') {
        setTaken(true);
        setPicked(null);
        void queries.invalidateQueries({ queryKey: slotsKey(appointment.doctorId) });
      }
    },
  });

  if (!open) {
    return (
      <div className="flex flex-col gap-2">
        {move.isSuccess && (
          <Notice>{t('patient.reschedule.done', { time: when(move.data.startsAt) })}</Notice>
        )}
        <Button kind="secondary" className="self-start" onClick={() => setOpen(true)}>
          {t('patient.reschedule.start')}
        </Button>
      </div>
    );
  }
  return (
    <ActionPanel title={t('patient.reschedule.title')} edge="border-stone-300">
      {taken && (
        <p role="alert" className="rounded-md border border-amber-400 bg-amber-50 p-3 text-amber-950">
          {t('patient.book.taken')}
        </p>
      )}
      <SlotGrid
        doctorId={appointment.doctorId}
        pickedId={picked?.id}
        onPick={(slot) => {
          setTaken(false);
          move.reset();
          setPicked(slot);
        }}
      />
      {picked && (
        <p className="font-medium">{t('patient.reschedule.moveTo', { time: when(picked.startsAt) })}</p>
      )}
      {move.isError && !taken && <ErrorNotice error={move.error} />}
      <div className="flex flex-wrap gap-2">
        <Button disabled={!picked || move.isPending} onClick={() => picked && move.mutate(picked.id)}>
          {t('patient.reschedule.confirm')}
        </Button>
        <Button kind="secondary" onClick={() => setOpen(false)}>
          {t('common.cancel')}
        </Button>
      </div>
    </ActionPanel>
  );
}
