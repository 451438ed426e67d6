import type { Role } from './api/session';

/** Where each role starts after signing in. */
export const HOME: Record<Role, string> = { patient: '/', doctor: '/doctor', admin: '/admin' };
