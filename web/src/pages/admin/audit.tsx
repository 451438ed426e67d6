/**
 * The audit trail, newest first, filtered by action, entity, entity id, actor and days (the days
 * are the browser's: "to" includes the whole day), keyset-paged. "Verify chain" recomputes the hash
 * chain on the server and says in words whether it is intact (how many records, how many not yet
 * sealed, the signed checkpoint) or where it first breaks and why.
 */

import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { browserZone } from '../../i18n/zones';
import { ErrorNotice } from '../../ui/errors';
import { Button, Card, Field, Notice, PageTitle } from '../../ui/kit';
import { PagedView, ScrollTable, td, th, usePagedList } from './parts';

type Filters = {
  action?: string;
  entity?: string;
  entityId?: string;
  actorId?: string;
  from?: string;
  to?: string;
};
const TEXT_FILTERS = ['action', 'entity', 'entityId', 'actorId'] as const;

/** Midnight at the start of a calendar day in the browser's zone, as an instant. */
const startOfDay = (date: string, plusDays = 0) => {
  const day = new Date(`${date}T00:00:00`);
  day.setDate(day.getDate() + plusDays);
  return day.toISOString();
};

export default function AuditPage() {
  const { t } = useI18n();
  const format = useFormat();
  const zone = browserZone();
  const [filters, setFilters] = useState<Filters>({});
  const list = usePagedList(['admin', 'audit', filters], (cursor) =>
    call(api.GET('/api/v1/admin/audit-logs', { params: { query: { ...filters, cursor, limit: 50 } } })),
  );
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const value = (name: string) => String(form.get(name) ?? '').trim();
    const next: Filters = {};
    for (const name of TEXT_FILTERS) if (value(name)) next[name] = value(name);
    if (value('from')) next.from = startOfDay(value('from'));
    if (value('to')) next.to = startOfDay(value('to'), 1);
    setFilters(next);
  };
  const columns = [
    t('admin.audit.col.time'),
    t('admin.audit.col.actor'),
    t('admin.audit.col.role'),
    t('admin.audit.col.action'),
    t('admin.audit.col.entity'),
    t('admin.audit.col.entityId'),
    t('admin.audit.col.requestId'),
  ];
  return (
    <div className="flex flex-col gap-4">
      <PageTitle>{t('admin.audit.title')}</PageTitle>
      <VerifyChain />
      <form onSubmit={apply} aria-label={t('admin.audit.filters')} className="grid gap-3 sm:grid-cols-3">
        <Field
          name="action"
          label={t('admin.audit.action')}
          hint={t('admin.audit.actionHint')}
          maxLength={100}
        />
        <Field
          name="entity"
          label={t('admin.audit.entity')}
          hint={t('admin.audit.entityHint')}
          maxLength={100}
        />
        <Field name="entityId" label={t('admin.audit.entityId')} maxLength={100} />
        <Field name="actorId" label={t('admin.audit.actorId')} pattern="[0-9a-fA-F-]{36}" />
        <Field name="from" type="date" label={t('admin.audit.from')} />
        <Field name="to" type="date" label={t('admin.audit.to')} />
        <Button type="submit" className="self-end">
          {t('admin.audit.apply')}
        </Button>
      </form>
      <PagedView list={list} empty={t('admin.audit.empty')}>
        {(records) => (
          <ScrollTable label={t('admin.audit.table')}>
            <table className="min-w-full text-sm">
              <caption className="sr-only">{t('admin.audit.table')}</caption>
              <thead>
                <tr>
                  {columns.map((column) => (
                    <th key={column} scope="col" className={th}>
                      {column}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {records.map((r) => (
                  <tr key={r.id}>
                    <td className={`${td} whitespace-nowrap`}>{format.dateTime(r.occurredAt, zone)}</td>
                    <td className={`${td} font-mono text-xs`}>{r.actorId ?? t('admin.audit.system')}</td>
                    <td className={td}>{r.actorRole ?? '—'}</td>
                    <td className={`${td} whitespace-nowrap`}>{r.action}</td>
                    <td className={td}>{r.entity}</td>
                    <td className={`${td} font-mono text-xs`}>{r.entityId ?? '—'}</td>
                    <td className={`${td} font-mono text-xs`}>{r.requestId ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        )}
      </PagedView>
    </div>
  );
}

function VerifyChain() {
  const { t } = useI18n();
  const format = useFormat();
  const zone = browserZone();
  const [result, setResult] = useState<Schemas['AuditVerification'] | null>(null);
  const verify = useMutation({
    mutationFn: () => call(api.GET('/api/v1/admin/audit-logs/verify')),
    onSuccess: setResult,
  });
  return (
    <Card className="flex flex-col gap-2">
      <p>{t('admin.audit.verifyHelp')}</p>
      <Button className="self-start" disabled={verify.isPending} onClick={() => verify.mutate()}>
        {verify.isPending ? t('admin.audit.verifying') : t('admin.audit.verify')}
      </Button>
      {verify.isError && <ErrorNotice error={verify.error} onRetry={() => verify.mutate()} />}
      {result?.ok && (
        <Notice>
          {t('admin.audit.intact', {
            checked: format.number(result.checked),
            unsealed: format.number(result.unsealed),
          })}
          {result.checkpoint &&
            ` ${t('admin.audit.checkpoint', {
              seq: format.number(result.checkpoint.seq),
              when: format.dateTime(result.checkpoint.at, zone),
            })}`}
        </Notice>
      )}
      {result && !result.ok && (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-red-900">
          {result.firstBadSeq === null
            ? t('admin.audit.brokenNoSeq', { reason: result.reason ?? '—' })
            : t('admin.audit.broken', {
                seq: format.number(result.firstBadSeq),
                reason: result.reason ?? '—',
                checked: format.number(result.checked),
              })}
        </p>
      )}
    </Card>
  );
}
