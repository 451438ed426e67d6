/**
 * A doctor's public page: the profile and the live slot grid (patient's time zone). Picking a slot
 * asks a signed-out visitor to sign in first (and comes back here); a patient confirms and books
 * with an Idempotency-Key reused when the same attempt is retried, then goes to pay. A slot taken
 * meanwhile (409) refreshes the grid and says so; any other refusal shows the API's detail.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation, useParams } from 'wouter';
import { ApiError, api, call, type Schemas } from '../../api/client';
import { useSession } from '../../api/session';
import { useI18n } from '../../i18n';
import { ErrorNotice, QueryView } from '../../ui/errors';
import { Card, Notice, PageTitle } from '../../ui/kit';
import { BookingPanel } from './booking-panel';
import { DoctorFacts } from './doctor-facts';
import { slotsKey } from './live-slots';
import { useIdempotencyKey } from './shared';
import { SlotGrid } from './slot-grid';

type Slot = Schemas['Slot'];
/** Refusals that mean "this slot is no longer yours to take": pick another. */
const SLOT_GONE = new Set(['SLOT_UNAVAILABLE', 'SLOT_IN_PAST', 'SLOT_TOO_SOON', 'HOLD_COOLDOWN']);

export default function DoctorPage() {
  const { id = '' } = useParams<{ id: string }>();
  const { t } = useI18n();
  const profile = useQuery({
    queryKey: ['doctor', id],
    queryFn: () => call(api.GET('/api/v1/doctors/{id}', { params: { path: { id } } })),
  });
  return (
    <QueryView query={profile}>
      {(doctor) => (
        <div className="flex flex-col gap-4">
          <Profile doctor={doctor} />
          <Card aria-labelledby="book-heading" className="flex flex-col gap-3">
            <h2 id="book-heading" className="text-xl font-semibold">
              {t('patient.book.title')}
            </h2>
            <Booking doctor={doctor} />
          </Card>
        </div>
      )}
    </QueryView>
  );
}

function Profile({ doctor }: { doctor: Schemas['Doctor'] }) {
  return (
    <div className="flex flex-col gap-1">
      <PageTitle>{doctor.name}</PageTitle>
      <DoctorFacts doctor={doctor} withModes />
      {doctor.bio && <p className="mt-2 max-w-prose whitespace-pre-line">{doctor.bio}</p>}
    </div>
  );
}

function Booking({ doctor }: { doctor: Schemas['Doctor'] }) {
  const { t } = useI18n();
  const { user } = useSession();
  const [, navigate] = useLocation();
  const queries = useQueryClient();
  const [picked, setPicked] = useState<Slot | null>(null);
  const [taken, setTaken] = useState<string | null>(null);
  const keyFor = useIdempotencyKey();
  const book = useMutation({
    mutationFn: ({ slot, reason }: { slot: Slot; reason: string }) => {
      const body = { slotId: slot.id, mode: slot.mode, ...(reason && { reason }) };
      const key = keyFor(JSON.stringify(body));
      return call(api.POST('/api/v1/appointments', { body, params: { header: { 'idempotency-key': key } } }));
    },
    onSuccess: (appointment) => {
      void queries.invalidateQueries({ queryKey: ['appointments'] });
      navigate(
        appointment.status === 'pending_payment'
          ? `/appointments/${appointment.id}/pay`
          : `/appointments/${appointment.id}`,
      );
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 409 && SLOT_GONE.has(error.code ?? '')) {
        setTaken(error.problem?.detail ?? '');
        setPicked(null);
        void queries.invalidateQueries({ queryKey: slotsKey(doctor.id) });
      }
    },
  });
  const pick = (slot: Slot) => {
    if (!user) {
      navigate(`/login?next=${encodeURIComponent(`/doctors/${doctor.id}`)}`);
      return;
    }
    book.reset();
    setTaken(null);
    setPicked(slot);
  };
  const slotGone = taken !== null;

  return (
    <>
      {!user && <p className="text-stone-700">{t('patient.book.signInFirst')}</p>}
      {user && user.role !== 'patient' && <Notice tone="warn">{t('patient.book.patientsOnly')}</Notice>}
      {slotGone && (
        <div role="alert" className="rounded-md border border-amber-400 bg-amber-50 p-3 text-amber-950">
          <p className="font-medium">{t('patient.book.taken')}</p>
          {taken && <p className="text-sm">{taken}</p>}
        </div>
      )}
      <SlotGrid doctorId={doctor.id} onPick={pick} pickedId={picked?.id} />
      {picked && user?.role === 'patient' && (
        <BookingPanel
          key={picked.id}
          slot={picked}
          doctorZone={doctor.timezone}
          feeMinor={doctor.feeMinor}
          currency={doctor.currency}
          pending={book.isPending}
          onBook={(reason) => book.mutate({ slot: picked, reason })}
          onCancel={() => setPicked(null)}
        />
      )}
      {book.isError && !slotGone && (
        <ErrorNotice error={book.error} onRetry={() => book.variables && book.mutate(book.variables)} />
      )}
    </>
  );
}
