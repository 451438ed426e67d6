/**
 * The doctor verification queue: doctors by status (pending first, oldest first), with what an
 * admin checks (registration number and council, specializations, languages, fee, modes). Verify,
 * or reject with a reason the doctor reads (the API requires one). After a decision the doctor
 * leaves the list shown and a status message says what happened.
 */

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { browserZone } from '../../i18n/zones';
import { languageName } from '../../ui/domain';
import { ErrorNotice } from '../../ui/errors';
import { Badge, Button, Card, Field, Notice, PageTitle, Select, TextArea } from '../../ui/kit';
import { PagedView, usePagedList } from './parts';

type Doctor = Schemas['DoctorForReview'];
type Status = Doctor['verificationStatus'];
const STATUSES: Status[] = ['pending', 'verified', 'rejected'];
const TONE = { pending: 'warn', verified: 'good', rejected: 'bad' } as const;

export default function VerificationPage() {
  const { t } = useI18n();
  const [status, setStatus] = useState<Status>('pending');
  const [search, setSearch] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const list = usePagedList(['admin', 'doctors', status, search], (cursor) =>
    call(api.GET('/api/v1/admin/doctors', { params: { query: { status, q: search || undefined, cursor } } })),
  );
  const submitSearch = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSearch(String(new FormData(event.currentTarget).get('q') ?? '').trim());
  };
  return (
    <div className="flex flex-col gap-4">
      <PageTitle>{t('admin.verify.title')}</PageTitle>
      <form onSubmit={submitSearch} className="grid gap-3 sm:flex sm:flex-wrap sm:items-end">
        <Select
          label={t('admin.verify.status')}
          value={status}
          onChange={(e) => setStatus(e.target.value as Status)}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`admin.verify.status.${s}`)}
            </option>
          ))}
        </Select>
        <Field name="q" label={t('admin.verify.search')} className="min-w-0 flex-1" maxLength={100} />
        <Button type="submit" kind="secondary" className="justify-self-start">
          {t('common.search')}
        </Button>
      </form>
      {done && <Notice>{done}</Notice>}
      <PagedView list={list} empty={t(`admin.verify.empty.${status}`)}>
        {(doctors) => (
          <ul className="flex flex-col gap-3">
            {doctors.map((doctor) => (
              <li key={doctor.id}>
                <DoctorCard doctor={doctor} onDecided={setDone} />
              </li>
            ))}
          </ul>
        )}
      </PagedView>
    </div>
  );
}

function DoctorCard({ doctor, onDecided }: { doctor: Doctor; onDecided: (message: string) => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [rejecting, setRejecting] = useState(false);
  const decide = useMutation({
    mutationFn: (body: Schemas['VerifyRequest']) =>
      call(api.POST('/api/v1/admin/doctors/{id}/verify', { params: { path: { id: doctor.id } }, body })),
    onSuccess: (_, body) => {
      onDecided(
        body.status === 'verified'
          ? t('admin.verify.verified', { name: doctor.name })
          : t('admin.verify.rejected', { name: doctor.name }),
      );
      void queryClient.invalidateQueries({ queryKey: ['admin', 'doctors'] });
    },
  });
  const reject = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get('reason') ?? '').trim();
    if (reason) decide.mutate({ status: 'rejected', reason });
  };
  const headingId = `doctor-${doctor.id}`;
  const facts: [string, string][] = [
    [t('admin.verify.email'), doctor.email],
    [t('admin.verify.registration'), doctor.registrationNumber ?? t('admin.verify.missing')],
    [t('admin.verify.council'), doctor.council ?? t('admin.verify.missing')],
    [t('admin.verify.specializations'), doctor.specializations.join(', ') || t('admin.verify.missing')],
    [t('admin.verify.languages'), doctor.languages.map((code) => languageName(format.tag, code)).join(', ')],
    [t('admin.verify.fee'), format.money(doctor.feeMinor, doctor.currency)],
    [t('admin.verify.modes'), doctor.modes.join(', ')],
    [t('admin.verify.experience'), t('admin.verify.years', { years: format.number(doctor.experienceYears) })],
    [t('admin.verify.timezone'), doctor.timezone],
    [t('admin.verify.joined'), format.dateTime(doctor.createdAt, browserZone())],
  ];
  return (
    <Card aria-labelledby={headingId} className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center gap-2">
        <h2 id={headingId} className="text-lg font-semibold">
          {doctor.name}
        </h2>
        <Badge tone={TONE[doctor.verificationStatus]}>
          {t(`admin.verify.status.${doctor.verificationStatus}`)}
        </Badge>
      </div>
      <dl className="grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-[max-content_1fr]">
        {facts.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="font-medium text-stone-700">{term}</dt>
            <dd className="mb-1 break-words sm:mb-0">{value}</dd>
          </div>
        ))}
      </dl>
      {doctor.bio && <p className="text-stone-800">{doctor.bio}</p>}
      {doctor.verificationReason && (
        <p>
          <span className="font-medium">{t('admin.verify.reasonGiven')}</span> {doctor.verificationReason}
        </p>
      )}
      {decide.isError && <ErrorNotice error={decide.error} />}
      {rejecting ? (
        <form onSubmit={reject} className="flex flex-col gap-2">
          <TextArea name="reason" label={t('admin.verify.reason')} required maxLength={1000} />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" kind="danger" disabled={decide.isPending}>
              {t('admin.verify.confirmReject', { name: doctor.name })}
            </Button>
            <Button kind="secondary" onClick={() => setRejecting(false)}>
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      ) : (
        <div className="flex flex-wrap gap-2">
          {doctor.verificationStatus !== 'verified' && (
            <Button disabled={decide.isPending} onClick={() => decide.mutate({ status: 'verified' })}>
              {t('admin.verify.verify', { name: doctor.name })}
            </Button>
          )}
          {doctor.verificationStatus !== 'rejected' && (
            <Button kind="secondary" onClick={() => setRejecting(true)}>
              {t('admin.verify.reject', { name: doctor.name })}
            </Button>
          )}
        </div>
      )}
    </Card>
  );
}
