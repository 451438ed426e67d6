/**
 * Accounts: search by the start of a name or e-mail, filter by role and status, newest first with
 * "Show more". Suspending asks for a reason (other admins read it) and a confirmation: the account
 * is signed out everywhere at once. Reactivating lets it sign in again. Nobody suspends themselves
 * (the API refuses it too), so one's own account has no Suspend button.
 */

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { useSession } from '../../api/session';
import { useFormat, useI18n } from '../../i18n';
import { browserZone } from '../../i18n/zones';
import { ErrorNotice } from '../../ui/errors';
import { Badge, Button, Card, Field, Notice, PageTitle, Select, TextArea } from '../../ui/kit';
import { PagedView, usePagedList } from './parts';

type User = Schemas['AdminUser'];
type Filters = { q?: string; role?: User['role']; status?: User['status'] };
const ROLES: User['role'][] = ['patient', 'doctor', 'admin'];

export default function UsersPage() {
  const { t } = useI18n();
  const [filters, setFilters] = useState<Filters>({});
  const [done, setDone] = useState<string | null>(null);
  const list = usePagedList(['admin', 'users', filters], (cursor) =>
    call(api.GET('/api/v1/admin/users', { params: { query: { ...filters, cursor } } })),
  );
  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const q = String(form.get('q') ?? '').trim();
    const role = String(form.get('role') ?? '');
    const status = String(form.get('status') ?? '');
    setFilters({
      ...(q ? { q } : {}),
      ...(role ? { role: role as User['role'] } : {}),
      ...(status ? { status: status as User['status'] } : {}),
    });
  };
  return (
    <div className="flex flex-col gap-4">
      <PageTitle>{t('admin.users.title')}</PageTitle>
      <form
        onSubmit={search}
        className="flex flex-wrap items-end gap-3"
        aria-label={t('admin.users.filters')}
      >
        <Field
          name="q"
          type="search"
          label={t('admin.users.search')}
          hint={t('admin.users.searchHint')}
          maxLength={100}
          className="min-w-0 flex-1 basis-60"
        />
        <Select name="role" label={t('admin.users.role')} defaultValue="">
          <option value="">{t('admin.users.any')}</option>
          {ROLES.map((role) => (
            <option key={role} value={role}>
              {t(`admin.users.role.${role}`)}
            </option>
          ))}
        </Select>
        <Select name="status" label={t('admin.users.status')} defaultValue="">
          <option value="">{t('admin.users.any')}</option>
          <option value="active">{t('admin.users.status.active')}</option>
          <option value="suspended">{t('admin.users.status.suspended')}</option>
        </Select>
        <Button type="submit">{t('common.search')}</Button>
      </form>
      {done && <Notice>{done}</Notice>}
      <PagedView list={list} empty={t('admin.users.empty')}>
        {(users) => (
          <ul className="flex flex-col gap-3">
            {users.map((user) => (
              <li key={user.id}>
                <UserCard user={user} onChanged={setDone} />
              </li>
            ))}
          </ul>
        )}
      </PagedView>
    </div>
  );
}

function UserCard({ user, onChanged }: { user: User; onChanged: (message: string) => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const queryClient = useQueryClient();
  const me = useSession().user;
  const [confirming, setConfirming] = useState(false);
  const zone = browserZone();
  const change = useMutation({
    mutationFn: (reason: string | null) =>
      reason === null
        ? call(api.POST('/api/v1/admin/users/{id}/reactivate', { params: { path: { id: user.id } } }))
        : call(
            api.POST('/api/v1/admin/users/{id}/suspend', {
              params: { path: { id: user.id } },
              body: { reason },
            }),
          ),
    onSuccess: (updated) => {
      setConfirming(false);
      onChanged(
        t(updated.status === 'suspended' ? 'admin.users.suspended' : 'admin.users.reactivated', {
          name: updated.name,
        }),
      );
      void queryClient.invalidateQueries({ queryKey: ['admin', 'users'] });
    },
  });
  const suspend = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get('reason') ?? '').trim();
    if (reason) change.mutate(reason);
  };
  const headingId = `user-${user.id}`;
  return (
    <Card aria-labelledby={headingId} className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <h2 id={headingId} className="text-lg font-semibold">
          {user.name}
        </h2>
        <Badge>{t(`admin.users.role.${user.role}`)}</Badge>
        <Badge tone={user.status === 'active' ? 'good' : 'bad'}>
          {t(`admin.users.status.${user.status}`)}
        </Badge>
        {user.mfaEnabled && <Badge>{t('admin.users.mfa')}</Badge>}
      </div>
      <p className="break-all">{user.email}</p>
      <p className="text-sm text-stone-700">
        {t('admin.users.joined', { when: format.dateTime(user.createdAt, zone) })}
      </p>
      {user.suspension && (
        <p>
          {t('admin.users.suspendedSince', {
            when: format.dateTime(user.suspension.since, zone),
            reason: user.suspension.reason,
          })}
        </p>
      )}
      {change.isError && <ErrorNotice error={change.error} />}
      {confirming ? (
        <form onSubmit={suspend} className="flex flex-col gap-2">
          <p className="font-medium">{t('admin.users.confirmText', { name: user.name })}</p>
          <TextArea name="reason" label={t('admin.users.reason')} required maxLength={500} />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" kind="danger" disabled={change.isPending}>
              {t('admin.users.confirmSuspend')}
            </Button>
            <Button kind="secondary" onClick={() => setConfirming(false)}>
              {t('common.cancel')}
            </Button>
          </div>
        </form>
      ) : user.status === 'suspended' ? (
        <Button
          kind="secondary"
          className="self-start"
          disabled={change.isPending}
          onClick={() => change.mutate(null)}
        >
          {t('admin.users.reactivate', { name: user.name })}
        </Button>
      ) : (
        user.id !== me?.id && (
          <Button kind="danger" className="self-start" onClick={() => setConfirming(true)}>
            {t('admin.users.suspend', { name: user.name })}
          </Button>
        )
      )}
    </Card>
  );
}
