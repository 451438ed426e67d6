/**
 * The clinical notes of one consultation: the latest version (GET; none yet is a 404) in a text
 * box, saved as a new version with PUT. Writable while in progress and for a while after the
 * completion (the API says when the window closed).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { QueryView } from '../../ui/errors';
import { TextArea } from '../../ui/kit';
import { SavingForm, Section } from './fields';

type Notes = Schemas['ClinicalNotes'];

export function NotesForm({
  appointmentId,
  open,
  timezone,
}: {
  appointmentId: string;
  open: boolean;
  timezone: string;
}) {
  const { t } = useI18n();
  const notes = useQuery({
    queryKey: ['appointment', appointmentId, 'notes'],
    enabled: open,
    queryFn: async (): Promise<Notes | null> => {
      try {
        return await call(
          api.GET('/api/v1/appointments/{id}/notes', { params: { path: { id: appointmentId } } }),
        );
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  return (
    <Section title={t('doctor.notes.title')}>
      {open ? (
        <QueryView query={notes}>
          {(current) => <NotesEditor appointmentId={appointmentId} current={current} timezone={timezone} />}
        </QueryView>
      ) : (
        <p className="text-stone-600">{t('doctor.notes.notYet')}</p>
      )}
    </Section>
  );
}

function NotesEditor({
  appointmentId,
  current,
  timezone,
}: {
  appointmentId: string;
  current: Notes | null;
  timezone: string;
}) {
  const { t } = useI18n();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [text, setText] = useState(current?.text ?? '');
  const save = useMutation({
    mutationFn: () =>
      call(
        api.PUT('/api/v1/appointments/{id}/notes', {
          params: { path: { id: appointmentId } },
          body: { text },
        }),
      ),
    onSuccess: (saved) => queryClient.setQueryData(['appointment', appointmentId, 'notes'], saved),
  });
  return (
    <SavingForm
      className="flex flex-col gap-3"
      mutation={save}
      done={({ version }) => t('doctor.notes.saved', { version })}
      onSave={() => save.mutate()}
      action={t('common.save')}
    >
      {current && (
        <p className="text-stone-600">
          {t('doctor.notes.version', {
            version: current.version,
            versions: current.versions,
            when: format.dateTime(current.savedAt, timezone),
          })}
        </p>
      )}
      <TextArea
        label={t('doctor.notes.text')}
        value={text}
        rows={6}
        maxLength={20000}
        onChange={(e) => setText(e.target.value)}
      />
      <p className="text-sm text-stone-600">{t('doctor.notes.help')}</p>
    </SavingForm>
  );
}
