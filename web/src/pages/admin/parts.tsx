/**
 * Pieces the admin pages share: keyset lists ("Show more" with the API's `nextCursor`), a table
 * wrapper that scrolls sideways on its own (never the page) and can be reached with the keyboard,
 * and the loading / error / data states of such a list.
 */
import { type InfiniteData, type UseInfiniteQueryResult, useInfiniteQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useI18n } from '../../i18n';
import { ErrorNotice } from '../../ui/errors';
import { ShowMore } from '../../ui/kit';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A keyset-paged list: `fetchPage(cursor)` answers one page; the next is asked for on "Show more". */
export function usePagedList<P extends Page<unknown>>(
  key: readonly unknown[],
  fetchPage: (cursor: string | undefined) => Promise<P>,
) {
  return useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

/** Loading, failed (with retry), empty, or the items with "Show more" while there are more. */
export function PagedView<P extends Page<unknown>>({
  list,
  empty,
  children,
}: {
  list: UseInfiniteQueryResult<InfiniteData<P>>;
  empty: string;
  children: (items: P['items']) => ReactNode;
}) {
  const { t } = useI18n();
  if (list.isPending) {
    return (
      <p aria-busy="true" className="py-6 text-stone-600">
        {t('common.loading')}
      </p>
    );
  }
  const data = list.data;
  if (!data) return <ErrorNotice error={list.error} onRetry={() => void list.refetch()} />;
  const items: P['items'] = data.pages.flatMap((page) => page.items);
  if (items.length === 0) return <p className="py-4 text-stone-700">{empty}</p>;
  return (
    <div className="flex flex-col gap-3">
      {children(items)}
      {list.isError && (
        <ErrorNotice
          error={list.error}
          onRetry={() => void (list.isFetchNextPageError ? list.fetchNextPage() : list.refetch())}
        />
      )}
      <ShowMore list={list}>{list.isFetchingNextPage ? t('common.loading') : t('common.more')}</ShowMore>
    </div>
  );
}

/** A wide table in its own horizontally scrolling, focusable region (so the page never scrolls sideways). */
export function ScrollTable({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
    <section aria-label={label} tabIndex={0} className="max-w-full overflow-x-auto rounded-md">
      {children}
    </section>
  );
}

export const th =
  'border-b border-stone-300 bg-stone-100 px-2 py-2 text-left font-semibold whitespace-nowrap';
export const td = 'border-b border-stone-200 px-2 py-2 align-top';
