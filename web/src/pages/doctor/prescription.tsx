/**
 * The prescription of one consultation: the issued version (GET; none yet is a 404) with its
 * medicines, advice, follow-up and verification id, the PDF once rendered, and the form to issue
 * it or a corrected version (in progress or completed). The two 409s a doctor can't fix from
 * here — the patient's missing date of birth and sex, the doctor's missing registration — are
 * explained in words.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { ApiError, api, call, download, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { ErrorNotice, QueryView } from '../../ui/errors';
import { Button } from '../../ui/kit';
import { Section } from './fields';
import { PrescriptionForm } from './prescription-form';

type Issued = Schemas['Prescription'];

export function Prescription({ appointmentId, open }: { appointmentId: string; open: boolean }) {
  const { t } = useI18n();
  const prescription = useQuery({
    queryKey: ['appointment', appointmentId, 'prescription'],
    enabled: open,
    queryFn: async (): Promise<Issued | null> => {
      try {
        return await call(
          api.GET('/api/v1/appointments/{id}/prescription', { params: { path: { id: appointmentId } } }),
        );
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    // The PDF is made in the background: look again until it is ready.
    refetchInterval: (query) => (query.state.data?.pdf.status === 'rendering' ? 2000 : false),
  });
  return (
    <Section title={t('doctor.rx.title')}>
      {open ? (
        <QueryView query={prescription}>
          {(issued) => (
            <div className="flex flex-col gap-4">
              {issued && <IssuedPrescription issued={issued} />}
              <PrescriptionForm appointmentId={appointmentId} issued={issued} />
            </div>
          )}
        </QueryView>
      ) : (
        <p className="text-stone-600">{t('doctor.rx.notYet')}</p>
      )}
    </Section>
  );
}

function IssuedPrescription({ issued }: { issued: Issued }) {
  const { t } = useI18n();
  const format = useFormat();
  const pdf = useMutation({
    mutationFn: () =>
      download(
        `/appointments/${issued.appointmentId}/prescription.pdf`,
        `prescription-${issued.issuedOn}-v${issued.version}.pdf`,
      ),
  });
  return (
    <article
      className="flex flex-col gap-2 rounded-md border border-emerald-300 bg-emerald-50 p-3"
      data-testid="issued-prescription"
    >
      <h3 className="font-semibold">{t('doctor.rx.current')}</h3>
      <p className="text-sm break-words">
        {t('doctor.rx.meta', {
          version: issued.version,
          date: format.shortDay(`${issued.issuedOn}T12:00:00Z`, 'UTC'),
          id: issued.verificationId,
        })}
      </p>
      <p>
        {t('doctor.rx.patient', {
          name: issued.patient.name,
          age: issued.patient.age,
          sex: t(`doctor.rx.sex.${issued.patient.sex}`),
        })}
      </p>
      <p>
        <span className="font-medium">{t('doctor.rx.diagnosis')}:</span> {issued.diagnosis}{' '}
        {issued.provisional && t('doctor.rx.provisionalMark')}
      </p>
      <ol className="list-decimal pl-6">
        {issued.medicines.map((m) => (
          <li key={JSON.stringify(m)} className="break-words">
            <span className="font-medium">{m.name}</span>
            {m.form && ` (${m.form})`}:{' '}
            {t('doctor.rx.medicineLine', { dose: m.dose, frequency: m.frequency, days: m.durationDays })}
            {m.instructions && `. ${m.instructions}`}
          </li>
        ))}
      </ol>
      {issued.advice && (
        <p className="break-words">
          <span className="font-medium">{t('doctor.rx.advice')}:</span> {issued.advice}
        </p>
      )}
      {issued.followUpInDays && <p>{t('doctor.rx.followUpLine', { days: issued.followUpInDays })}</p>}
      {issued.pdf.status === 'ready' ? (
        <div className="flex flex-col gap-2">
          <Button
            kind="secondary"
            className="self-start"
            disabled={pdf.isPending}
            onClick={() => pdf.mutate()}
          >
            {t('doctor.rx.pdf')}
          </Button>
          {pdf.isError && <ErrorNotice error={pdf.error} />}
        </div>
      ) : (
        <p className="text-stone-600">{t('doctor.rx.pdfRendering')}</p>
      )}
    </article>
  );
}
