/**
 * Jobs that failed every try (a mail server refusing mail, say), newest first: what the job was,
 * why its last try failed, how many tries, when. Retry queues it again with a fresh set of tries;
 * the row then says so (it leaves the list on the next load unless it fails again). No failed jobs
 * is said in words.
 */

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useI18n } from '../../i18n';
import { browserZone } from '../../i18n/zones';
import { ErrorNotice } from '../../ui/errors';
import { Badge, Button, Card, Notice, PageTitle } from '../../ui/kit';
import { PagedView, usePagedList } from './parts';

type DeadJob = Schemas['DeadJob'];

export default function DeadLettersPage() {
  const { t } = useI18n();
  const [done, setDone] = useState<string | null>(null);
  const list = usePagedList(['admin', 'jobs', 'dead'], (cursor) =>
    call(api.GET('/api/v1/admin/jobs/dead', { params: { query: { cursor } } })),
  );
  return (
    <div className="flex flex-col gap-4">
      <PageTitle
        aside={
          <Button kind="secondary" disabled={list.isFetching} onClick={() => void list.refetch()}>
            {t('admin.jobs.reload')}
          </Button>
        }
      >
        {t('admin.jobs.title')}
      </PageTitle>
      <p>{t('admin.jobs.help')}</p>
      {done && <Notice>{done}</Notice>}
      <PagedView list={list} empty={t('admin.jobs.empty')}>
        {(jobs) => (
          <ul className="flex flex-col gap-3">
            {jobs.map((job) => (
              <li key={job.id}>
                <JobCard job={job} onRetried={setDone} />
              </li>
            ))}
          </ul>
        )}
      </PagedView>
    </div>
  );
}

function JobCard({ job, onRetried }: { job: DeadJob; onRetried: (message: string) => void }) {
  const { t } = useI18n();
  const format = useFormat();
  const zone = browserZone();
  const retry = useMutation({
    mutationFn: () =>
      call(api.POST('/api/v1/admin/jobs/dead/{id}/retry', { params: { path: { id: job.id } } })),
    onSuccess: () => onRetried(t('admin.jobs.retried', { name: job.name })),
  });
  const headingId = `job-${job.id}`;
  return (
    <Card aria-labelledby={headingId} className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <h2 id={headingId} className="font-mono text-lg font-semibold break-all">
          {job.name}
        </h2>
        {retry.isSuccess ? (
          <Badge tone="good">{t('admin.jobs.queued')}</Badge>
        ) : (
          <Badge tone="bad">{t('admin.jobs.failed')}</Badge>
        )}
      </div>
      <dl className="grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-[max-content_1fr]">
        <dt className="font-medium text-stone-700">{t('admin.jobs.error')}</dt>
        <dd className="break-words">{job.failedReason}</dd>
        <dt className="font-medium text-stone-700">{t('admin.jobs.attempts')}</dt>
        <dd>{format.number(job.attempts)}</dd>
        <dt className="font-medium text-stone-700">{t('admin.jobs.failedAt')}</dt>
        <dd>{format.dateTime(job.failedAt, zone)}</dd>
        <dt className="font-medium text-stone-700">{t('admin.jobs.data')}</dt>
        <dd className="font-mono text-xs break-all">{JSON.stringify(job.data)}</dd>
      </dl>
      {retry.isError && <ErrorNotice error={retry.error} onRetry={() => retry.mutate()} />}
      {!retry.isSuccess && (
        <Button className="self-start" disabled={retry.isPending} onClick={() => retry.mutate()}>
          {t('admin.jobs.retry', { name: job.name })}
        </Button>
      )}
    </Card>
  );
}
