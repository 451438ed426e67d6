/**
 * Sign in: e-mail and password, then — when the account uses MFA — the second step, which takes
 * a 6-digit code or a recovery code. Tokens never touch storage (api/auth.ts).
 */
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { login, verifyMfa } from '../../api/auth';
import { useI18n } from '../../i18n';
import { ErrorNotice } from '../../ui/errors';
import { Button, Card, Field, PageTitle } from '../../ui/kit';
import { afterSignIn } from './next';

export default function LoginPage() {
  const { t } = useI18n();
  const search = useSearch();
  const [, navigate] = useLocation();
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const signIn = useMutation({
    mutationFn: (form: FormData) => login(String(form.get('email')), String(form.get('password'))),
    onSuccess: (result) => {
      if ('mfaToken' in result) setMfaToken(result.mfaToken);
      else navigate(afterSignIn(result.user.role, search));
    },
  });
  const secondStep = useMutation({
    mutationFn: (code: string) => verifyMfa(mfaToken ?? '', code),
    onSuccess: (user) => navigate(afterSignIn(user.role, search)),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (mfaToken) secondStep.mutate(String(form.get('code')).trim());
    else signIn.mutate(form);
  };

  return (
    <Card className="mx-auto max-w-md">
      <PageTitle>{mfaToken ? t('auth.mfaTitle') : t('auth.signInTitle')}</PageTitle>
      <form onSubmit={submit} className="flex flex-col gap-4">
        {mfaToken ? (
          <>
            <p>{t('auth.mfaHelp')}</p>
            <Field
              label={t('auth.mfaCode')}
              name="code"
              required
              autoComplete="one-time-code"
              autoFocus
              minLength={6}
              maxLength={20}
            />
            {secondStep.isError && <ErrorNotice error={secondStep.error} />}
            <Button type="submit" disabled={secondStep.isPending}>
              {t('auth.mfaSubmit')}
            </Button>
          </>
        ) : (
          <>
            <Field label={t('auth.email')} name="email" type="email" required autoComplete="username" />
            <Field
              label={t('auth.password')}
              name="password"
              type="password"
              required
              autoComplete="current-password"
            />
            {signIn.isError && <ErrorNotice error={signIn.error} />}
            <Button type="submit" disabled={signIn.isPending}>
              {t('auth.submitSignIn')}
            </Button>
            <p>
              {t('auth.noAccount')}{' '}
              <Link href={`/register${search ? `?${search}` : ''}`} className="text-emerald-800 underline">
                {t('nav.signUp')}
              </Link>
            </p>
          </>
        )}
      </form>
    </Card>
  );
}
