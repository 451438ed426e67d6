/**
 * Errors in words a person understands. An API problem shows its `detail` (written for people)
 * and, for invalid input, which fields; no network or a server failure shows a retry instead;
 * the request id is there to quote when asking for help. Never a blank page.
 */
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';
import { type MessageKey, useI18n } from '../i18n';
import { catalogues } from '../i18n/catalogue';
import { Button } from './kit';

/** The catalogue's words for a problem code, when it has them. */
const wordsFor = (code: string) => `problem.${code}` as MessageKey;
const hasWords = (code: string): boolean => wordsFor(code) in catalogues.en;

export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: (() => void) | undefined }) {
  const { t, locale } = useI18n();
  const apiError = error instanceof ApiError ? error : null;
  const problem = apiError?.problem;
  let message: string;
  // The API's detail is English and the most specific; another language gets its own words for
  // the code, with the detail beneath.
  let detail: string | null = null;
  if (!apiError || apiError.status === 0) message = t('error.offline');
  else if (apiError.status === 429) message = t('error.throttled');
  else if (apiError.status >= 500 || !problem) message = t('error.server');
  else if (locale !== 'en' && hasWords(problem.code)) {
    message = t(wordsFor(problem.code));
    detail = problem.detail;
  } else message = problem.detail;
  const fields = problem?.errors?.map((e) => `${e.path} ${e.message}`).join('; ');
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-red-900">
      <p>{message}</p>
      {detail && <p className="mt-1 text-sm">{t('error.detail', { detail })}</p>}
      {fields && <p className="mt-1 text-sm">{t('error.fields', { fields })}</p>}
      {problem?.requestId && (
        <p className="mt-1 text-xs text-red-800">{t('error.requestId', { id: problem.requestId })}</p>
      )}
      {onRetry && (apiError?.retryable ?? true) && (
        <Button kind="secondary" className="mt-2" onClick={onRetry}>
          {t('common.retry')}
        </Button>
      )}
    </div>
  );
}

/** Loading, failed (with retry) or the data: the three states of every read. */
export function QueryView<T>({
  query,
  children,
}: {
  query: UseQueryResult<T>;
  children: (data: T) => ReactNode;
}) {
  const { t } = useI18n();
  if (query.isPending) {
    return (
      <p aria-busy="true" className="py-6 text-stone-600">
        {t('common.loading')}
      </p>
    );
  }
  if (query.isError) return <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />;
  return <>{children(query.data)}</>;
}
