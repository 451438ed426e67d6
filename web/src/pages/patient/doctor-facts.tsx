/**
 * What a patient weighs when choosing a doctor, said the same way on the search results and on
 * the doctor's page: specialisations, languages, (on the page) modes, fee, rating and experience.
 * Light on purpose: the search page (the first page) imports it.
 */
import type { Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { label, languageName } from '../../ui/domain';

export function DoctorFacts({
  doctor,
  withModes = false,
}: {
  doctor: Schemas['Doctor'];
  withModes?: boolean;
}) {
  const { t, locale } = useI18n();
  const format = useFormat();
  return (
    <>
      <p>{doctor.specializations.map((s) => label(t, 'spec', s)).join(', ')}</p>
      <p className="text-stone-700">
        {t('patient.doctor.languages')}: {doctor.languages.map((l) => languageName(locale, l)).join(', ')}
      </p>
      {withModes && (
        <p className="text-stone-700">
          {t('patient.doctor.modes')}: {doctor.modes.map((m) => label(t, 'mode', m)).join(', ')}
        </p>
      )}
      <p>
        {t('patient.doctor.fee')}: <strong>{format.money(doctor.feeMinor, doctor.currency)}</strong>
      </p>
      <p className="text-stone-700">
        {doctor.rating.count > 0
          ? t('patient.doctor.rating', {
              average: format.number(doctor.rating.average, 1),
              count: format.number(doctor.rating.count),
            })
          : t('patient.doctor.noRating')}
        {' · '}
        {t('patient.doctor.experience', { years: format.number(doctor.experienceYears) })}
      </p>
    </>
  );
}
