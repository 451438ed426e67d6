/** Pages for one role: wait for the session to be restored, then ask to sign in or say it's the wrong role. */
import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { type Role, useSession } from '../api/session';
import { useI18n } from '../i18n';
import { Notice } from './kit';

export function RequireRole({ role, children }: { role: Role | 'any'; children: ReactNode }) {
  const { t } = useI18n();
  const { ready, user } = useSession();
  const [location] = useLocation();
  if (!ready) {
    return (
      <p aria-busy="true" className="py-6 text-stone-600">
        {t('common.loading')}
      </p>
    );
  }
  if (!user) {
    return (
      <div className="flex flex-col gap-3">
        <Notice tone="warn">{t('auth.signInNeeded')}</Notice>
        <Link
          href={`/login?next=${encodeURIComponent(location)}`}
          className="font-medium text-emerald-800 underline"
        >
          {t('nav.signIn')}
        </Link>
      </div>
    );
  }
  if (role !== 'any' && user.role !== role) return <Notice tone="warn">{t('auth.wrongRole')}</Notice>;
  return <>{children}</>;
}
