import type { Role } from '../../api/session';
import { HOME } from '../../home';

/**
 * Where to go after signing in: the page that asked for it (`?next=`, same-site paths only, so a
 * crafted link can't send a user elsewhere), else the role's start page.
 */
export function afterSignIn(role: Role, search: string): string {
  const next = new URLSearchParams(search).get('next');
  return next?.startsWith('/') && !next.startsWith('//') ? next : HOME[role];
}
