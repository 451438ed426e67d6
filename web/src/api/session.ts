/**
 * The browser's session. Invariants:
 * - The access token lives only in this module's memory: never in storage, never in the DOM.
 * - The refresh token is an httpOnly cookie (Path=/api/v1/auth, SameSite=Strict) that scripts
 *   can't read; every call that uses it sends `X-Auth-Mode: cookie`, the CSRF guard the API
 *   requires on cookie-authenticated calls.
 * - One refresh at a time: concurrent 401s share one rotation (a second rotation with the same
 *   cookie would look like token theft and end the session).
 */
import { useSyncExternalStore } from 'react';

export type Role = 'patient' | 'doctor' | 'admin';
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}
interface State {
  accessToken: string | null;
  user: SessionUser | null;
  /** False until the first refresh attempt at start-up has answered. */
  ready: boolean;
}

export const API_BASE = '/api/v1';
export const COOKIE_MODE = { 'x-auth-mode': 'cookie' } as const;

let state: State = { accessToken: null, user: null, ready: false };
const listeners = new Set<() => void>();
function set(next: Partial<State>) {
  state = { ...state, ...next };
  for (const listener of listeners) listener();
}

export const session = {
  get: () => state,
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  signedIn(accessToken: string, user: SessionUser) {
    set({ accessToken, user, ready: true });
  },
  signedOut() {
    set({ accessToken: null, user: null, ready: true });
  },
};

export function useSession(): State {
  return useSyncExternalStore(session.subscribe, session.get);
}

let refreshing: Promise<string | null> | null = null;

/** Rotates the cookie for a new access token; null (and signed out) when there is no session. */
export function refreshAccessToken(): Promise<string | null> {
  refreshing ??= (async () => {
    try {
      const res = await fetch(`${API_BASE}/auth/refresh`, {
        method: 'POST',
        headers: { ...COOKIE_MODE, 'content-type': 'application/json' },
        body: '{}',
        credentials: 'same-origin',
      });
      if (!res.ok) {
        // Read to its end: an unread answer holds its connection (a no-store one isn't read into a cache).
        await res.text();
        if (res.status < 500) session.signedOut();
        return null;
      }
      const { accessToken } = (await res.json()) as { accessToken: string };
      if (!state.user) {
        const me = await fetch(`${API_BASE}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
        if (!me.ok) {
          await me.text();
          return null;
        }
        const { id, email, name, role } = (await me.json()) as SessionUser;
        session.signedIn(accessToken, { id, email, name, role });
      } else session.signedIn(accessToken, state.user);
      return accessToken;
    } catch {
      return null; // offline: keep whatever we have; the page shows a retry
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** At start-up: a cookie from an earlier visit signs the user back in. */
export async function restoreSession(): Promise<void> {
  await refreshAccessToken();
  if (!state.ready) set({ ready: true });
}
