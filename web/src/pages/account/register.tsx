/** Create a patient or doctor account (admins are made by the operator); signs the new account in. */
import { useMutation } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { register } from '../../api/auth';
import { useI18n } from '../../i18n';
import { ErrorNotice } from '../../ui/errors';
import { Button, Card, Field, PageTitle } from '../../ui/kit';
import { afterSignIn } from './next';

export default function RegisterPage() {
  const { t, locale } = useI18n();
  const search = useSearch();
  const [, navigate] = useLocation();
  const signUp = useMutation({
    mutationFn: (form: FormData) =>
      register({
        name: String(form.get('name')),
        email: String(form.get('email')),
        password: String(form.get('password')),
        role: form.get('role') === 'doctor' ? 'doctor' : 'patient',
        locale,
      }),
    onSuccess: (user) =>
      navigate(user.role === 'doctor' ? '/doctor/profile' : afterSignIn(user.role, search)),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    signUp.mutate(new FormData(event.currentTarget));
  };

  return (
    <Card className="mx-auto max-w-md">
      <PageTitle>{t('auth.signUpTitle')}</PageTitle>
      <form onSubmit={submit} className="flex flex-col gap-4">
        <Field label={t('auth.name')} name="name" required autoComplete="name" maxLength={200} />
        <Field label={t('auth.email')} name="email" type="email" required autoComplete="email" />
        <Field
          label={t('auth.password')}
          name="password"
          type="password"
          required
          minLength={10}
          autoComplete="new-password"
          hint={t('auth.passwordHint')}
        />
        <fieldset className="flex flex-col gap-2">
          <legend className="font-medium">{t('auth.role')}</legend>
          <label className="flex min-h-11 items-center gap-2">
            <input type="radio" name="role" value="patient" defaultChecked /> {t('auth.rolePatient')}
          </label>
          <label className="flex min-h-11 items-center gap-2">
            <input type="radio" name="role" value="doctor" /> {t('auth.roleDoctor')}
          </label>
        </fieldset>
        {signUp.isError && <ErrorNotice error={signUp.error} />}
        <Button type="submit" disabled={signUp.isPending}>
          {t('auth.submitSignUp')}
        </Button>
        <p>
          {t('auth.haveAccount')}{' '}
          <Link href={`/login${search ? `?${search}` : ''}`} className="text-emerald-800 underline">
            {t('nav.signIn')}
          </Link>
        </p>
      </form>
    </Card>
  );
}
