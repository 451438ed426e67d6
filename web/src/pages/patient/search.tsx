/**
 * Find doctors (the first page; works signed out, so it stays light). Free text is typo-tolerant
 * on the API's side; the filters map one to one onto GET /doctors's query (fee in rupees here,
 * paise there; "available on" is a day in the doctor's zone). Results page with the keyset cursor.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { api, call, type Schemas } from '../../api/client';
import type { paths } from '../../api/schema';
import { useI18n } from '../../i18n';
import { LANGUAGES, label, languageName, MODES, SPECIALIZATIONS } from '../../ui/domain';
import { ErrorNotice } from '../../ui/errors';
import { Button, Card, Field, PageTitle, Select, ShowMore } from '../../ui/kit';
import { DoctorFacts } from './doctor-facts';

type Filters = Omit<NonNullable<paths['/api/v1/doctors']['get']['parameters']['query']>, 'cursor' | 'limit'>;

const oneOf = <T extends string>(values: readonly T[], value: FormDataEntryValue | null): T | undefined =>
  values.find((v) => v === value);

function filtersOf(form: FormData): Filters {
  const text = String(form.get('q') ?? '').trim();
  const maxFee = Number(form.get('maxFee'));
  const day = String(form.get('availableOn') ?? '');
  const sort = oneOf(['relevance', 'rating', 'fee'] as const, form.get('sort'));
  return {
    ...(text && { q: text.slice(0, 100) }),
    ...(form.get('specialization') && { specialization: oneOf(SPECIALIZATIONS, form.get('specialization')) }),
    ...(form.get('language') && { language: oneOf(LANGUAGES, form.get('language')) }),
    ...(form.get('mode') && { mode: oneOf(MODES, form.get('mode')) }),
    ...(maxFee > 0 && { maxFee: Math.round(maxFee * 100) }),
    ...(day && { availableOn: day }),
    ...(sort && { sort }),
  };
}

export default function SearchPage() {
  const { t, locale } = useI18n();
  const [filters, setFilters] = useState<Filters>({});
  const results = useInfiniteQuery({
    queryKey: ['doctors', filters],
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/doctors', {
          params: { query: { ...filters, limit: 20, ...(pageParam && { cursor: pageParam }) } },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFilters(filtersOf(new FormData(event.currentTarget)));
  };
  const doctors = results.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div className="flex flex-col gap-4">
      <PageTitle>{t('patient.search.title')}</PageTitle>
      <p className="text-stone-700">{t('app.tagline')}</p>
      <search>
        <form onSubmit={submit} className="flex flex-col gap-3">
          <Field
            label={t('patient.search.text')}
            name="q"
            type="search"
            hint={t('patient.search.textHint')}
            maxLength={100}
          />
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
            <Select label={t('patient.search.specialization')} name="specialization" defaultValue="">
              <option value="">{t('patient.search.any')}</option>
              {SPECIALIZATIONS.map((s) => (
                <option key={s} value={s}>
                  {label(t, 'spec', s)}
                </option>
              ))}
            </Select>
            <Select label={t('patient.search.language')} name="language" defaultValue="">
              <option value="">{t('patient.search.any')}</option>
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {languageName(locale, l)}
                </option>
              ))}
            </Select>
            <Select label={t('patient.search.mode')} name="mode" defaultValue="">
              <option value="">{t('patient.search.any')}</option>
              {MODES.map((m) => (
                <option key={m} value={m}>
                  {label(t, 'mode', m)}
                </option>
              ))}
            </Select>
            <Field
              label={t('patient.search.maxFee')}
              name="maxFee"
              type="number"
              min={0}
              step={50}
              inputMode="numeric"
            />
            <Field label={t('patient.search.availableOn')} name="availableOn" type="date" />
            <Select label={t('patient.search.sort')} name="sort" defaultValue="">
              <option value="">{t('patient.search.sortDefault')}</option>
              <option value="rating">{t('patient.search.sortRating')}</option>
              <option value="fee">{t('patient.search.sortFee')}</option>
            </Select>
          </div>
          <Button type="submit" className="self-start">
            {t('common.search')}
          </Button>
        </form>
      </search>

      <section
        aria-labelledby="results-heading"
        aria-busy={results.isFetching}
        className="flex flex-col gap-3"
      >
        <h2 id="results-heading" className="text-lg font-semibold">
          {t('patient.search.results')}
        </h2>
        {results.isPending && <p className="text-stone-600">{t('common.loading')}</p>}
        {results.isError && <ErrorNotice error={results.error} onRetry={() => void results.refetch()} />}
        {results.isSuccess && doctors.length === 0 && <p>{t('patient.search.noResults')}</p>}
        <ul className="grid grid-cols-1 gap-3 md:grid-cols-2">
          {doctors.map((doctor) => (
            <li key={doctor.id}>
              <DoctorCard doctor={doctor} />
            </li>
          ))}
        </ul>
        <ShowMore list={results}>{t('common.more')}</ShowMore>
      </section>
    </div>
  );
}

function DoctorCard({ doctor }: { doctor: Schemas['Doctor'] }) {
  return (
    <Card className="flex h-full flex-col gap-1">
      <h3 className="text-lg font-semibold">
        <Link href={`/doctors/${doctor.id}`} className="text-emerald-800 underline underline-offset-4">
          {doctor.name}
        </Link>
      </h3>
      <DoctorFacts doctor={doctor} />
    </Card>
  );
}
