/**
 * The signed-in user's account: who they are, and two-step verification — enrol (the key for an
 * authenticator app, then a code to confirm; the recovery codes are shown once) or turn it off.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { enableMfa } from '../../api/auth';
import { api, call } from '../../api/client';
import { useI18n } from '../../i18n';
import { ErrorNotice, QueryView } from '../../ui/errors';
import { Button, Card, Field, Notice, PageTitle } from '../../ui/kit';

const codeOf = (event: FormEvent<HTMLFormElement>) => {
  event.preventDefault();
  return String(new FormData(event.currentTarget).get('code')).trim();
};

function MfaSettings({ enabled }: { enabled: boolean }) {
  const { t } = useI18n();
  const queries = useQueryClient();
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const setup = useMutation({ mutationFn: () => call(api.POST('/api/v1/auth/mfa/setup')) });
  const enable = useMutation({
    mutationFn: enableMfa,
    onSuccess: (codes) => {
      setRecoveryCodes(codes);
      setup.reset();
      void queries.invalidateQueries({ queryKey: ['me'] });
    },
  });
  const disable = useMutation({
    mutationFn: (code: string) => call(api.POST('/api/v1/auth/mfa/disable', { body: { code } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['me'] }),
  });

  if (recoveryCodes) {
    return (
      <Card aria-labelledby="recovery-title">
        <h2 id="recovery-title" className="text-lg font-semibold">
          {t('account.recoveryTitle')}
        </h2>
        <p className="my-2">{t('account.recoveryHelp')}</p>
        <ul className="grid grid-cols-2 gap-2 font-mono" data-testid="recovery-codes">
          {recoveryCodes.map((code) => (
            <li key={code}>{code}</li>
          ))}
        </ul>
        <Button kind="secondary" className="mt-3" onClick={() => setRecoveryCodes(null)}>
          {t('common.close')}
        </Button>
      </Card>
    );
  }
  if (enabled) {
    return (
      <Card className="flex flex-col gap-3">
        <Notice>{t('account.mfaOn')}</Notice>
        <form onSubmit={(e) => disable.mutate(codeOf(e))} className="flex flex-col gap-3">
          <Field label={t('auth.mfaCode')} name="code" required autoComplete="one-time-code" minLength={6} />
          {disable.isError && <ErrorNotice error={disable.error} />}
          <Button type="submit" kind="danger" disabled={disable.isPending}>
            {t('account.mfaDisable')}
          </Button>
        </form>
      </Card>
    );
  }
  return (
    <Card className="flex flex-col gap-3">
      <p>{t('account.mfaOff')}</p>
      {setup.data ? (
        <form onSubmit={(e) => enable.mutate(codeOf(e))} className="flex flex-col gap-3">
          <p>{t('account.mfaSecret')}</p>
          <p className="break-all rounded bg-stone-100 p-2 font-mono" data-testid="mfa-secret">
            {setup.data.secret}
          </p>
          <a href={setup.data.otpauthUrl} className="break-all text-emerald-800 underline">
            {setup.data.otpauthUrl}
          </a>
          <Field label={t('auth.mfaCode')} name="code" required autoComplete="one-time-code" minLength={6} />
          {enable.isError && <ErrorNotice error={enable.error} />}
          <Button type="submit" disabled={enable.isPending}>
            {t('account.mfaEnable')}
          </Button>
        </form>
      ) : (
        <>
          {setup.isError && <ErrorNotice error={setup.error} />}
          <Button onClick={() => setup.mutate()} disabled={setup.isPending}>
            {t('account.mfaStart')}
          </Button>
        </>
      )}
    </Card>
  );
}

export default function AccountPage() {
  const { t } = useI18n();
  const me = useQuery({ queryKey: ['me'], queryFn: () => call(api.GET('/api/v1/me')) });
  return (
    <div className="flex flex-col gap-4">
      <PageTitle>{t('account.title')}</PageTitle>
      <QueryView query={me}>
        {(account) => (
          <>
            <Card>
              <p className="font-semibold">{account.name}</p>
              <p className="break-all">{account.email}</p>
            </Card>
            <MfaSettings enabled={account.mfaEnabled} />
          </>
        )}
      </QueryView>
    </div>
  );
}
