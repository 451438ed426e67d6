/**
 * The doctor's own profile: registration, specialisations, languages, modes, fee (typed in
 * rupees, sent in paise), time zone and bio, with the review status on top (pending, verified,
 * or rejected with the reviewer's reason). A new doctor (404) starts from an empty form. The API
 * validates; its 400 fields are shown as they come.
 */

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { useI18n } from '../../i18n';
import { allZones } from '../../i18n/zones';
import {
  LANGUAGES,
  type Language,
  label,
  languageName,
  MODES,
  type Mode,
  SPECIALIZATIONS,
  type Specialization,
} from '../../ui/domain';
import { QueryView } from '../../ui/errors';
import { Field, Notice, PageTitle, Select, TextArea } from '../../ui/kit';
import { COUNCILS, type Council, type OwnProfile, PROFILE_KEY, useOwnProfile } from './data';
import { CheckboxGroup, SavingForm, Section } from './fields';

export default function ProfilePage() {
  const { t } = useI18n();
  const profile = useOwnProfile();
  return (
    <>
      <PageTitle>{t('doctor.profile.title')}</PageTitle>
      <QueryView query={profile}>
        {(own) => (
          <div className="flex flex-col gap-4">
            <ReviewStatus profile={own} />
            <ProfileForm profile={own} />
          </div>
        )}
      </QueryView>
    </>
  );
}

function ReviewStatus({ profile }: { profile: OwnProfile | null }) {
  const { t } = useI18n();
  if (!profile) return <Notice tone="warn">{t('doctor.profile.new')}</Notice>;
  const status = profile.verificationStatus;
  const tone = status === 'verified' ? 'good' : status === 'pending' ? 'warn' : 'bad';
  const colours = {
    good: 'border-emerald-300 bg-emerald-50',
    warn: 'border-amber-300 bg-amber-50',
    bad: 'border-red-300 bg-red-50',
  }[tone];
  return (
    <div className={`flex flex-col gap-1 rounded-md border p-3 ${colours}`} data-testid="verification">
      <p className="font-semibold">{t(`doctor.profile.${status}`)}</p>
      {profile.verificationReason && (
        <p>{t('doctor.profile.reason', { reason: profile.verificationReason })}</p>
      )}
    </div>
  );
}

function ProfileForm({ profile }: { profile: OwnProfile | null }) {
  const { t, locale } = useI18n();
  const queryClient = useQueryClient();
  const [registrationNumber, setRegistrationNumber] = useState(profile?.registrationNumber ?? '');
  const [council, setCouncil] = useState(profile?.council ?? '');
  const [specializations, setSpecializations] = useState(
    (profile?.specializations ?? []) as Specialization[],
  );
  const [languages, setLanguages] = useState((profile?.languages ?? []) as Language[]);
  const [modes, setModes] = useState((profile?.modes ?? ['video']) as Mode[]);
  const [feeRupees, setFeeRupees] = useState(profile ? String(profile.feeMinor / 100) : '');
  const [timezone, setTimezone] = useState(profile?.timezone ?? 'Asia/Kolkata');
  const zones = useMemo(() => allZones(timezone), [timezone]);
  const [experience, setExperience] = useState(String(profile?.experienceYears ?? 0));
  const [bio, setBio] = useState(profile?.bio ?? '');

  const save = useMutation({
    mutationFn: (body: Schemas['DoctorProfileRequest']) => call(api.PUT('/api/v1/doctors/me', { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: PROFILE_KEY }),
  });
  const submit = () =>
    save.mutate({
      registrationNumber: registrationNumber.trim() || null,
      council: (council || null) as Council | null,
      specializations,
      languages,
      modes,
      // Rupees to paise; a non-number goes as is, so the API's 400 says what is wrong.
      feeMinor: feeRupees.trim() === '' ? Number.NaN : Math.round(Number(feeRupees) * 100),
      currency: 'INR',
      timezone,
      experienceYears: Number(experience),
      bio,
    });

  return (
    <SavingForm
      className="flex flex-col gap-4"
      mutation={save}
      done={() => t('doctor.profile.saved')}
      onSave={submit}
      action={t('common.save')}
    >
      <Section title={t('doctor.profile.sectionRegistration')}>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field
            label={t('doctor.profile.registrationNumber')}
            value={registrationNumber}
            onChange={(e) => setRegistrationNumber(e.target.value)}
            maxLength={64}
            hint={t('doctor.profile.registrationHint')}
          />
          <Select
            className="min-w-0 [&_select]:w-full"
            label={t('doctor.profile.council')}
            value={council}
            onChange={(e) => setCouncil(e.target.value)}
          >
            <option value="">{t('doctor.profile.councilNone')}</option>
            {COUNCILS.map((c) => (
              <option key={c} value={c}>
                {t(`doctor.council.${c}`)}
              </option>
            ))}
          </Select>
        </div>
      </Section>
      <Section title={t('doctor.profile.sectionPractice')}>
        <div className="flex flex-col gap-4">
          <CheckboxGroup
            legend={t('doctor.profile.specializations')}
            options={SPECIALIZATIONS}
            value={specializations}
            onChange={setSpecializations}
            label={(s) => label(t, 'spec', s)}
          />
          <CheckboxGroup
            legend={t('doctor.profile.languages')}
            options={LANGUAGES}
            value={languages}
            onChange={setLanguages}
            label={(l) => languageName(locale, l)}
          />
          <CheckboxGroup
            legend={t('doctor.profile.modes')}
            options={MODES}
            value={modes}
            onChange={setModes}
            label={(m) => label(t, 'mode', m)}
          />
        </div>
      </Section>
      <Section title={t('doctor.profile.sectionFee')}>
        <div className="grid gap-4 sm:grid-cols-3">
          <Field
            label={t('doctor.profile.fee')}
            hint={t('doctor.profile.feeHint')}
            type="number"
            step="0.01"
            inputMode="decimal"
            value={feeRupees}
            onChange={(e) => setFeeRupees(e.target.value)}
          />
          <Select
            className="min-w-0 [&_select]:w-full"
            label={t('doctor.profile.timezone')}
            value={timezone}
            onChange={(e) => setTimezone(e.target.value)}
          >
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone}
              </option>
            ))}
          </Select>
          <Field
            label={t('doctor.profile.experience')}
            type="number"
            min={0}
            max={80}
            value={experience}
            onChange={(e) => setExperience(e.target.value)}
          />
        </div>
        <TextArea
          className="mt-4"
          label={t('doctor.profile.bio')}
          value={bio}
          maxLength={5000}
          onChange={(e) => setBio(e.target.value)}
        />
      </Section>
    </SavingForm>
  );
}
