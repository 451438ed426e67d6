import { z } from 'zod';
import { type AuthContext, assertOrdered, decodeCursor, encodeCursor } from '../../http/index.ts';
import { canonicalJson } from '../../platform/canonical-json.ts';
import type { Clock } from '../../platform/clock.ts';
import type { ReadRouter } from '../../platform/db/replica.ts';
import * as repo from './repo.ts';
import { type Doctor, toDoctor } from './review.ts';
import type { SearchQuery } from './schemas.ts';

// The keyset position, typed per sort so a crafted cursor can't reach SQL as the wrong type.
const cursorShapes = {
  fee: z.object({ s: z.literal('fee'), k: z.tuple([z.number().int().min(0).max(2_147_483_647), z.uuid()]) }),
  rating: z.object({
    s: z.literal('rating'),
    k: z.tuple([z.string().regex(/^\d{1,2}\.\d{1,2}$/), z.uuid()]),
  }),
  relevance: z.object({ s: z.literal('relevance'), k: z.tuple([z.number().finite(), z.uuid()]) }),
} as const;

/** How long one public search answer is reused (it is the same for everyone). */
const SEARCH_REUSE_MS = 1_000;
/** An answer older than this is not served even once more: the reader waits for a new one. */
const SEARCH_STALE_MS = 10_000;
const SEARCH_CACHE_ENTRIES = 1_000;

/**
 * The public doctor search.
 * - It reads through the read router: the replica, unless a profile changed a moment ago (`search`
 *   pinned by the feed) or the searcher wrote a moment ago (read-your-writes: their search skips the
 *   shared answers and reads the primary).
 * - Answers are JSON, the same for everyone. One is fresh for a second; after that (for up to ten)
 *   it is still answered while a refresh runs in the background (so no reader waits for the
 *   database), and an `availableOn` answer only within the clock second it was made in (what is
 *   bookable depends on now). All are dropped when a profile changes anywhere (`profilesChanged`,
 *   told by the feed on every instance).
 */
export function createDoctorSearch({ clock, reads }: { clock: Clock; reads: ReadRouter }) {
  const answers = new Map<string, { json: Promise<string>; freshUntil: number; refreshing: boolean }>();

  async function search(
    query: SearchQuery,
    pins: string[],
  ): Promise<{ items: Doctor[]; nextCursor: string | null }> {
    // Inclusive bounds: minFee = maxFee asks for one fee.
    assertOrdered({ name: 'minFee', value: query.minFee }, { name: 'maxFee', value: query.maxFee }, true);
    const sort = query.sort ?? (query.q ? 'relevance' : 'rating');
    const after = decodeCursor(query.cursor, cursorShapes[sort]);
    const rows = await reads.read(['search', ...pins], (db) =>
      repo.searchDoctors(db, { ...query, sort, now: clock.now(), after: after?.k, limit: query.limit + 1 }),
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const keyOf = (r: (typeof rows)[number]) =>
      sort === 'fee' ? r.fee_minor : sort === 'rating' ? r.rating_avg : r.score;
    return {
      items: page.map(toDoctor),
      nextCursor:
        rows.length > query.limit && last ? encodeCursor({ s: sort, k: [keyOf(last), last.user_id] }) : null,
    };
  }

  return {
    /** The public search as a JSON string, from the last second's answers when it can. */
    async searchJson(query: SearchQuery, viewer: AuthContext | null): Promise<string> {
      const own = viewer ? [`user:${viewer.userId}`] : [];
      if (own.length > 0 && (await reads.isPinned(own))) return JSON.stringify(await search(query, own));
      const key = `${canonicalJson(query)}${query.availableOn ? `@${Math.floor(clock.now().getTime() / 1000)}` : ''}`;
      const now = performance.now();
      const kept = answers.get(key);
      const run = () => search(query, []).then((r) => JSON.stringify(r));
      if (kept && now - kept.freshUntil < SEARCH_STALE_MS) {
        if (kept.freshUntil <= now && !kept.refreshing) {
          kept.refreshing = true;
          run().then(
            (json) => {
              if (answers.get(key) === kept)
                answers.set(key, {
                  json: Promise.resolve(json),
                  freshUntil: performance.now() + SEARCH_REUSE_MS,
                  refreshing: false,
                });
            },
            () => answers.delete(key),
          );
        }
        return kept.json;
      }
      if (answers.size >= SEARCH_CACHE_ENTRIES) answers.delete(answers.keys().next().value!);
      const json = run();
      answers.set(key, { json, freshUntil: now + SEARCH_REUSE_MS, refreshing: false });
      json.catch(() => answers.delete(key));
      return json;
    },

    profilesChanged(): void {
      answers.clear();
    },
  };
}
