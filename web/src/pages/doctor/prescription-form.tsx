/**
 * The prescription form: diagnosis (provisional or not), medicines (rows added and removed:
 * name, form, dose, frequency, days, instructions), advice and follow-up. It starts from the
 * issued version when there is one, so a correction changes only what is wrong; each issue is a
 * new version. A failed issue explains the two conflicts only someone else can fix (IssueError).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { ApiError, api, call, type Schemas } from '../../api/client';
import { type MessageKey, useI18n } from '../../i18n';
import { ErrorNotice } from '../../ui/errors';
import { Button, Field, TextArea } from '../../ui/kit';
import { SavingForm } from './fields';

type MedicineRow = {
  key: number;
  name: string;
  form: string;
  dose: string;
  frequency: string;
  days: string;
  instructions: string;
};
const EMPTY = { name: '', form: '', dose: '', frequency: '', days: '', instructions: '' };
/** A medicine's inputs, in the order they are asked for. */
const MEDICINE_FIELDS: { field: keyof typeof EMPTY; label: MessageKey; type?: 'number' }[] = [
  { field: 'name', label: 'doctor.rx.name' },
  { field: 'form', label: 'doctor.rx.form' },
  { field: 'dose', label: 'doctor.rx.dose' },
  { field: 'frequency', label: 'doctor.rx.frequency' },
  { field: 'days', label: 'doctor.rx.duration', type: 'number' },
  { field: 'instructions', label: 'doctor.rx.instructions' },
];

/** Optional text: left out when blank, so the API doesn't see an empty string. */
const optional = (value: string) => (value.trim() ? value.trim() : undefined);

export function PrescriptionForm({
  appointmentId,
  issued,
}: {
  appointmentId: string;
  issued: Schemas['Prescription'] | null;
}) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const nextKey = useRef(0);
  const row = (m: Omit<MedicineRow, 'key'>): MedicineRow => ({ ...m, key: nextKey.current++ });
  const [diagnosis, setDiagnosis] = useState(issued?.diagnosis ?? '');
  const [provisional, setProvisional] = useState(issued?.provisional ?? false);
  const [medicines, setMedicines] = useState<MedicineRow[]>(() =>
    issued
      ? issued.medicines.map((m) =>
          row({
            name: m.name,
            form: m.form ?? '',
            dose: m.dose,
            frequency: m.frequency,
            days: String(m.durationDays),
            instructions: m.instructions ?? '',
          }),
        )
      : [row(EMPTY)],
  );
  const [advice, setAdvice] = useState(issued?.advice ?? '');
  const [followUp, setFollowUp] = useState(issued?.followUpInDays ? String(issued.followUpInDays) : '');

  const issue = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/v1/appointments/{id}/prescription', {
          params: { path: { id: appointmentId } },
          body: {
            diagnosis,
            provisional,
            medicines: medicines.map((m) => ({
              name: m.name,
              form: optional(m.form),
              dose: m.dose,
              frequency: m.frequency,
              durationDays: Number(m.days),
              instructions: optional(m.instructions),
            })),
            advice: optional(advice),
            followUpInDays: followUp.trim() ? Number(followUp) : undefined,
          },
        }),
      ),
    onSuccess: (saved) => queryClient.setQueryData(['appointment', appointmentId, 'prescription'], saved),
  });
  const change = (key: number, field: keyof typeof EMPTY, value: string) =>
    setMedicines(medicines.map((m) => (m.key === key ? { ...m, [field]: value } : m)));

  return (
    <SavingForm
      className="flex flex-col gap-4"
      mutation={issue}
      done={({ version }) => t('doctor.rx.issued', { version })}
      failure={(error) => <IssueError error={error} />}
      onSave={() => issue.mutate()}
      action={t(issued ? 'doctor.rx.amend' : 'doctor.rx.issue')}
    >
      <Field
        label={t('doctor.rx.diagnosis')}
        value={diagnosis}
        maxLength={1000}
        onChange={(e) => setDiagnosis(e.target.value)}
      />
      <label className="flex min-h-11 items-center gap-2">
        <input
          type="checkbox"
          className="size-5"
          checked={provisional}
          onChange={(e) => setProvisional(e.target.checked)}
        />
        {t('doctor.rx.provisional')}
      </label>
      <fieldset className="flex flex-col gap-3">
        <legend className="mb-1 font-semibold">{t('doctor.rx.medicines')}</legend>
        {medicines.map((m, index) => {
          const n = index + 1;
          return (
            <fieldset key={m.key} className="rounded-md border border-stone-300 p-3">
              <legend className="px-1 font-medium">{t('doctor.rx.medicine', { n })}</legend>
              <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
                {MEDICINE_FIELDS.map(({ field, label, type }) => (
                  <Field
                    key={field}
                    label={t(label)}
                    type={type}
                    value={m[field]}
                    onChange={(e) => change(m.key, field, e.target.value)}
                  />
                ))}
              </div>
              {medicines.length > 1 && (
                <Button
                  kind="secondary"
                  className="mt-3"
                  onClick={() => setMedicines(medicines.filter((other) => other.key !== m.key))}
                >
                  {t('doctor.rx.removeMedicine', { n })}
                </Button>
              )}
            </fieldset>
          );
        })}
        <div>
          <Button kind="secondary" onClick={() => setMedicines([...medicines, row(EMPTY)])}>
            {t('doctor.rx.addMedicine')}
          </Button>
        </div>
      </fieldset>
      <TextArea
        label={t('doctor.rx.advice')}
        value={advice}
        maxLength={4000}
        onChange={(e) => setAdvice(e.target.value)}
      />
      <Field
        label={t('doctor.rx.followUp')}
        type="number"
        className="max-w-xs"
        value={followUp}
        onChange={(e) => setFollowUp(e.target.value)}
      />
    </SavingForm>
  );
}

/** The issue's failure, with the two conflicts that need someone else's action said in words. */
export function IssueError({ error }: { error: unknown }) {
  const { t } = useI18n();
  const code = error instanceof ApiError ? error.code : undefined;
  if (code === 'PATIENT_PROFILE_INCOMPLETE' || code === 'REGISTRATION_NUMBER_REQUIRED') {
    const key =
      code === 'PATIENT_PROFILE_INCOMPLETE'
        ? 'doctor.rx.patientIncomplete'
        : 'doctor.rx.registrationRequired';
    return (
      <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-red-900">
        {t(key)}
      </div>
    );
  }
  return <ErrorNotice error={error} />;
}
