/**
 * The signed-in session in JSON mode: an access token (sent as `Authorization: Bearer`) and a
 * refresh token (sent only to POST /auth/refresh, which rotates it on every use).
 *
 * Invariants:
 * - One rotation at a time. Concurrent calls that hit 401 with the same access token share one
 *   refresh: presenting one refresh token twice reads as theft to the server, which then revokes
 *   the whole session (401 REFRESH_TOKEN_REUSED).
 * - A call that comes back with 401 after another call already refreshed takes the newer token
 *   instead of rotating again.
 * - The refresh itself is never retried: if its answer is lost the server may have rotated the
 *   token, and sending the old one again would end the session.
 * - A refused refresh (4xx other than 429) means the session is over: tokens are dropped and
 *   `onTokens(null)` tells the app. A 429/5xx/network failure keeps them (nothing rotated).
 * - `onTokens` runs (and is awaited) on every change, so an app can persist the new pair before
 *   it is used.
 */
import { REFRESH_PATH } from './routes.ts';
import type { components } from './schema.d.ts';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export type OnTokens = (tokens: Tokens | null) => void | Promise<void>;

type Fetch = (request: Request) => Promise<Response>;

export class Session {
  #tokens: Tokens | null;
  #refreshing: Promise<string | null> | null = null;
  readonly #refreshUrl: string;
  readonly #fetch: Fetch;
  readonly #onTokens: OnTokens | undefined;

  constructor(baseUrl: string, fetch: Fetch, tokens: Tokens | null, onTokens: OnTokens | undefined) {
    this.#refreshUrl = `${baseUrl.replace(/\/+$/, '')}${REFRESH_PATH}`;
    this.#fetch = fetch;
    this.#tokens = tokens;
    this.#onTokens = onTokens;
  }

  get tokens(): Tokens | null {
    return this.#tokens;
  }

  async set(tokens: Tokens | null): Promise<void> {
    if (tokens === null && this.#tokens === null) return; // already signed out: nothing to tell
    this.#tokens = tokens;
    await this.#onTokens?.(tokens);
  }

  /** A fresh access token to replace `stale` (which got a 401), or null: none to be had. */
  refresh(stale: string): Promise<string | null> {
    if (!this.#tokens) return Promise.resolve(null);
    if (this.#tokens.accessToken !== stale && !this.#refreshing) {
      return Promise.resolve(this.#tokens.accessToken);
    }
    this.#refreshing ??= this.#rotate(this.#tokens.refreshToken).finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #rotate(refreshToken: string): Promise<string | null> {
    let response: Response;
    try {
      response = await this.#fetch(
        new Request(this.#refreshUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken }),
        }),
      );
    } catch {
      return null;
    }
    // Someone signed in (or out) meanwhile: this answer is about a session no longer held.
    const current = this.#tokens?.refreshToken === refreshToken;
    if (response.ok) {
      const session = (await response.json()) as components['schemas']['Session'];
      if (!current || !session.refreshToken) return this.#tokens?.accessToken ?? null;
      await this.set({ accessToken: session.accessToken, refreshToken: session.refreshToken });
      return session.accessToken;
    }
    await response.body?.cancel();
    if (current && response.status < 500 && response.status !== 429) await this.set(null);
    return null;
  }
}
