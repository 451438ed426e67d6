/**
 * What a consultation leaves the patient: the video room link in its window (outside it, when it
 * opens, from the problem's `opensAt`), the clinical notes and the prescription when written
 * (404 = none yet) with its PDF once rendered, and the review form (once per consultation).
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, call, download } from '../../api/client';
import { useI18n } from '../../i18n';
import { ErrorNotice } from '../../ui/errors';
import { Button, Card, Notice, TextArea } from '../../ui/kit';
import { useWhen } from './shared';

/** A read whose 404 means "not written yet". */
async function orNone<T>(pending: Promise<T>): Promise<T | null> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function RoomLink({ appointmentId }: { appointmentId: string }) {
  const { t } = useI18n();
  const when = useWhen();
  const room = useQuery({
    queryKey: ['room', appointmentId],
    queryFn: () =>
      call(api.GET('/api/v1/appointments/{id}/room', { params: { path: { id: appointmentId } } })),
    refetchInterval: 60_000,
  });
  const closed =
    room.error instanceof ApiError && room.error.code === 'ROOM_NOT_OPEN' ? room.error.problem : null;
  return (
    <Card aria-labelledby="room-heading" className="flex flex-col gap-2">
      <h2 id="room-heading" className="text-xl font-semibold">
        {t('patient.room.title')}
      </h2>
      {room.isPending && <p className="text-stone-600">{t('common.loading')}</p>}
      {room.data && (
        <a
          href={room.data.joinUrl}
          target="_blank"
          rel="noopener noreferrer"
          className="self-start rounded-md bg-emerald-800 px-4 py-2.5 font-medium text-white"
        >
          {t('patient.room.join')}
          <span className="sr-only"> ({t('patient.room.newTab')})</span>
        </a>
      )}
      {closed && (
        <p>
          {closed.opensAt && Date.parse(closed.opensAt) > Date.now()
            ? t('patient.room.opensAt', { time: when(closed.opensAt) })
            : t('patient.room.closed')}
        </p>
      )}
      {room.isError && !closed && <ErrorNotice error={room.error} onRetry={() => void room.refetch()} />}
    </Card>
  );
}

export function Notes({ appointmentId }: { appointmentId: string }) {
  const { t } = useI18n();
  const notes = useQuery({
    queryKey: ['notes', appointmentId],
    queryFn: () =>
      orNone(call(api.GET('/api/v1/appointments/{id}/notes', { params: { path: { id: appointmentId } } }))),
  });
  if (notes.isError) return <ErrorNotice error={notes.error} onRetry={() => void notes.refetch()} />;
  if (!notes.data) return null;
  return (
    <Card aria-labelledby="notes-heading" className="flex flex-col gap-2">
      <h2 id="notes-heading" className="text-xl font-semibold">
        {t('patient.notes.title')}
      </h2>
      <p className="whitespace-pre-line">{notes.data.text}</p>
    </Card>
  );
}

export function Prescription({ appointmentId }: { appointmentId: string }) {
  const { t } = useI18n();
  const when = useWhen();
  const prescription = useQuery({
    queryKey: ['prescription', appointmentId],
    queryFn: () =>
      orNone(
        call(api.GET('/api/v1/appointments/{id}/prescription', { params: { path: { id: appointmentId } } })),
      ),
    refetchInterval: (query) => (query.state.data?.pdf.status === 'rendering' ? 2000 : false),
  });
  const pdf = useMutation({
    mutationFn: () => download(`/appointments/${appointmentId}/prescription.pdf`, 'prescription.pdf'),
  });
  if (prescription.isError) {
    return <ErrorNotice error={prescription.error} onRetry={() => void prescription.refetch()} />;
  }
  const data = prescription.data;
  if (!data) return null;
  return (
    <Card aria-labelledby="prescription-heading" className="flex flex-col gap-2">
      <h2 id="prescription-heading" className="text-xl font-semibold">
        {t('patient.rx.title')}
      </h2>
      <p className="text-sm text-stone-700">{t('patient.rx.issued', { time: when(data.issuedAt) })}</p>
      <p>
        <strong>{data.provisional ? t('patient.rx.provisional') : t('patient.rx.diagnosis')}:</strong>{' '}
        {data.diagnosis}
      </p>
      <ul className="flex list-disc flex-col gap-1 pl-5">
        {data.medicines.map((m) => (
          <li key={`${m.name}-${m.dose}-${m.frequency}`}>
            <strong>{m.name}</strong> — {m.dose}, {m.frequency},{' '}
            {t('patient.rx.days', { days: m.durationDays })}
            {m.instructions && `. ${m.instructions}`}
          </li>
        ))}
      </ul>
      {data.advice && (
        <p>
          <strong>{t('patient.rx.advice')}:</strong> {data.advice}
        </p>
      )}
      {data.followUpInDays !== null && <p>{t('patient.rx.followUp', { days: data.followUpInDays })}</p>}
      {data.pdf.status === 'ready' ? (
        <Button kind="secondary" className="self-start" disabled={pdf.isPending} onClick={() => pdf.mutate()}>
          {t('patient.rx.download')}
        </Button>
      ) : (
        <p role="status">{t('patient.rx.rendering')}</p>
      )}
      {pdf.isError && <ErrorNotice error={pdf.error} onRetry={() => pdf.mutate()} />}
    </Card>
  );
}

export function ReviewForm({ appointmentId }: { appointmentId: string }) {
  const { t } = useI18n();
  const [rating, setRating] = useState(0);
  const review = useMutation({
    mutationFn: (comment: string) =>
      call(
        api.POST('/api/v1/appointments/{id}/review', {
          params: { path: { id: appointmentId } },
          body: { rating, ...(comment && { comment }) },
        }),
      ),
  });
  const already = review.error instanceof ApiError && review.error.code === 'ALREADY_REVIEWED';
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    review.mutate(String(new FormData(event.currentTarget).get('comment') ?? '').trim());
  };
  return (
    <Card aria-labelledby="review-heading" className="flex flex-col gap-3">
      <h2 id="review-heading" className="text-xl font-semibold">
        {t('patient.review.title')}
      </h2>
      {review.isSuccess || already ? (
        <Notice>{review.isSuccess ? t('patient.review.thanks') : t('patient.review.already')}</Notice>
      ) : (
        <form onSubmit={submit} className="flex flex-col gap-3">
          <fieldset className="flex flex-col gap-2">
            <legend className="font-medium">{t('patient.review.rating')}</legend>
            <div className="flex flex-wrap gap-3">
              {[1, 2, 3, 4, 5].map((value) => (
                <label key={value} className="flex min-h-11 items-center gap-2">
                  <input
                    type="radio"
                    name="rating"
                    value={value}
                    required
                    checked={rating === value}
                    onChange={() => setRating(value)}
                  />
                  {t('patient.review.stars', { count: value })}
                </label>
              ))}
            </div>
          </fieldset>
          <TextArea label={t('patient.review.comment')} name="comment" maxLength={2000} />
          {review.isError && <ErrorNotice error={review.error} />}
          <Button type="submit" className="self-start" disabled={review.isPending || rating === 0}>
            {t('patient.review.submit')}
          </Button>
        </form>
      )}
    </Card>
  );
}
