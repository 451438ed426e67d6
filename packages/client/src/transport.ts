/**
 * The `fetch` under openapi-fetch: it signs each send with the session's current access token,
 * refreshes once on 401, and sends idempotent calls again on failures worth retrying (retry.ts).
 *
 * Invariants:
 * - Each send is a fresh clone of the one Request openapi-fetch built: same body, same headers,
 *   and so the same `Idempotency-Key` on every retry of one logical call.
 * - A 401 to a call that carried the session's token refreshes (shared, see session.ts) and sends
 *   once more, whatever the method: authentication comes before anything else on the server, so
 *   the refused call did nothing. It doesn't count as a retry, and happens at most once per call.
 * - A caller's own `Authorization` header is left alone, and sign-in routes get no token.
 * - An aborted call stops at once, mid-wait included.
 */
import { backoffMs, isIdempotent, type RetryOptions, retryDelayMs, sleep } from './retry.ts';
import { SIGN_IN_PATHS } from './routes.ts';
import type { Session } from './session.ts';

type Fetch = (request: Request) => Promise<Response>;

function signsIn(request: Request): boolean {
  const path = new URL(request.url).pathname;
  return SIGN_IN_PATHS.some((route) => path.endsWith(route));
}

export function createTransport(session: Session, fetch: Fetch, retry: RetryOptions): Fetch {
  return async (original) => {
    const idempotent = isIdempotent(original);
    const signed = !original.headers.has('authorization') && !signsIn(original);
    let refreshed = false;
    let attempt = 1;
    for (;;) {
      const request = original.clone();
      const token = signed ? (session.tokens?.accessToken ?? null) : null;
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      let response: Response;
      try {
        response = await fetch(request);
      } catch (error) {
        if (!idempotent || original.signal.aborted || attempt >= retry.attempts) throw error;
        await sleep(backoffMs(attempt, retry), original.signal);
        attempt += 1;
        continue;
      }
      if (response.status === 401 && token && !refreshed) {
        refreshed = true;
        if (await session.refresh(token)) {
          await response.body?.cancel();
          continue;
        }
        return response;
      }
      const wait =
        idempotent && attempt < retry.attempts ? await retryDelayMs(response, attempt, retry) : null;
      if (wait === null) return response;
      await response.body?.cancel();
      await sleep(wait, original.signal);
      attempt += 1;
    }
  };
}
