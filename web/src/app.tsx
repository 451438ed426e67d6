/**
 * The frame (header, navigation for the signed-in role, language switch) and the routes. The first
 * page a visitor sees (doctor search) is in the main bundle; every other page loads on demand, so
 * the first page's JavaScript stays small (checked in CI from the build manifest).
 */
import { type ComponentType, lazy, type ReactNode, Suspense } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { logout } from './api/auth';
import { api, call } from './api/client';
import { type Role, useSession } from './api/session';
import { HOME } from './home';
import { LOCALES, type Locale, type MessageKey, useI18n } from './i18n';
import SearchPage from './pages/patient/search';
import { PageBoundary } from './ui/boundary';
import { RequireRole } from './ui/guard';

const page = (load: () => Promise<{ default: () => ReactNode }>) => lazy(load);
const LoginPage = page(() => import('./pages/account/login'));
const RegisterPage = page(() => import('./pages/account/register'));
const AccountPage = page(() => import('./pages/account/account'));
const DoctorPublicPage = page(() => import('./pages/patient/doctor'));
const MyAppointmentsPage = page(() => import('./pages/patient/appointments'));
const AppointmentPage = page(() => import('./pages/patient/appointment'));
const PayPage = page(() => import('./pages/patient/pay'));
const CalendarPage = page(() => import('./pages/doctor/calendar'));
const ProfilePage = page(() => import('./pages/doctor/profile'));
const SchedulePage = page(() => import('./pages/doctor/schedule'));
const ConsultationPage = page(() => import('./pages/doctor/consultation'));
const VerificationPage = page(() => import('./pages/admin/verification'));
const UsersPage = page(() => import('./pages/admin/users'));
const AnalyticsPage = page(() => import('./pages/admin/analytics'));
const AuditPage = page(() => import('./pages/admin/audit'));
const DeadLettersPage = page(() => import('./pages/admin/dead-letters'));

const NAV: Record<Role | 'anonymous', [string, MessageKey][]> = {
  anonymous: [['/', 'nav.findDoctors']],
  patient: [
    ['/', 'nav.findDoctors'],
    ['/appointments', 'nav.myAppointments'],
    ['/account', 'nav.account'],
  ],
  doctor: [
    ['/doctor', 'nav.doctorCalendar'],
    ['/doctor/schedule', 'nav.doctorSchedule'],
    ['/doctor/profile', 'nav.doctorProfile'],
    ['/account', 'nav.account'],
  ],
  admin: [
    ['/admin', 'nav.adminDoctors'],
    ['/admin/users', 'nav.adminUsers'],
    ['/admin/analytics', 'nav.adminAnalytics'],
    ['/admin/audit', 'nav.adminAudit'],
    ['/admin/jobs', 'nav.adminJobs'],
    ['/account', 'nav.account'],
  ],
};

function Header() {
  const { t, locale, setLocale } = useI18n();
  const { user } = useSession();
  const [location, navigate] = useLocation();
  const links = NAV[user?.role ?? 'anonymous'];
  // The account remembers the choice too: the API's mails and messages use it. The page has
  // already switched; a failed save only means mails stay in the old language until the next try.
  const chooseLocale = (next: Locale) => {
    setLocale(next);
    if (user) void call(api.PATCH('/api/v1/me', { body: { locale: next } })).catch(() => undefined);
  };
  return (
    <header className="border-b border-emerald-900 bg-emerald-900 text-white">
      <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
        <Link href={user ? HOME[user.role] : '/'} className="text-xl font-semibold">
          {t('app.name')}
        </Link>
        <nav aria-label={t('nav.main')} className="flex flex-1 flex-wrap gap-x-3 gap-y-1">
          {links.map(([href, key]) => (
            <Link
              key={href}
              href={href}
              aria-current={location === href ? 'page' : undefined}
              className="rounded px-1 py-2 underline-offset-4 hover:underline aria-[current=page]:underline"
            >
              {t(key)}
            </Link>
          ))}
        </nav>
        <div className="flex flex-wrap items-center gap-3">
          <label className="flex items-center gap-2">
            <span className="sr-only">{t('nav.language')}</span>
            <select
              value={locale}
              onChange={(e) => chooseLocale(e.target.value as Locale)}
              className="min-h-11 rounded border border-emerald-700 bg-emerald-950 px-2 text-white"
            >
              {LOCALES.map((l) => (
                <option key={l} value={l}>
                  {l === 'en' ? 'English' : 'हिन्दी'}
                </option>
              ))}
            </select>
          </label>
          {user ? (
            <button
              type="button"
              className="min-h-11 rounded px-2 underline"
              onClick={() => void logout().finally(() => navigate('/'))}
            >
              {t('nav.signOut')}
            </button>
          ) : (
            <>
              <Link href="/login" className="py-2 underline">
                {t('nav.signIn')}
              </Link>
              <Link href="/register" className="py-2 underline">
                {t('nav.signUp')}
              </Link>
            </>
          )}
        </div>
      </div>
    </header>
  );
}

function NotFound() {
  const { t } = useI18n();
  return (
    <div className="flex flex-col gap-2">
      <h1 className="text-2xl font-semibold">{t('common.notFound')}</h1>
      <Link href="/" className="text-emerald-800 underline">
        {t('common.home')}
      </Link>
    </div>
  );
}

const only = (role: Role | 'any', Page: ComponentType) => () => (
  <RequireRole role={role}>
    <Page />
  </RequireRole>
);

export function App() {
  const { t } = useI18n();
  const [location] = useLocation();
  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:m-2 focus:bg-white focus:p-2">
        {t('app.skip')}
      </a>
      <Header />
      <main id="main" tabIndex={-1} className="mx-auto max-w-5xl px-4 py-6">
        <PageBoundary resetKey={location}>
          <Suspense fallback={<p aria-busy="true">{t('common.loading')}</p>}>
            <Switch>
              <Route path="/" component={SearchPage} />
              <Route path="/login" component={LoginPage} />
              <Route path="/register" component={RegisterPage} />
              <Route path="/account" component={only('any', AccountPage)} />
              <Route path="/doctors/:id" component={DoctorPublicPage} />
              <Route path="/appointments" component={only('patient', MyAppointmentsPage)} />
              <Route path="/appointments/:id" component={only('patient', AppointmentPage)} />
              <Route path="/appointments/:id/pay" component={only('patient', PayPage)} />
              <Route path="/doctor" component={only('doctor', CalendarPage)} />
              <Route path="/doctor/profile" component={only('doctor', ProfilePage)} />
              <Route path="/doctor/schedule" component={only('doctor', SchedulePage)} />
              <Route path="/doctor/appointments/:id" component={only('doctor', ConsultationPage)} />
              <Route path="/admin" component={only('admin', VerificationPage)} />
              <Route path="/admin/users" component={only('admin', UsersPage)} />
              <Route path="/admin/analytics" component={only('admin', AnalyticsPage)} />
              <Route path="/admin/audit" component={only('admin', AuditPage)} />
              <Route path="/admin/jobs" component={only('admin', DeadLettersPage)} />
              <Route component={NotFound} />
            </Switch>
          </Suspense>
        </PageBoundary>
      </main>
    </>
  );
}
