import { randomUUID } from 'node:crypto';
import type { Role } from '../src/config.ts';
import type { Actor, Fixture, Side } from './fuzz/fixture.ts';
import { DOCTOR_PROFILE } from './helpers/app.ts';

/**
 * Who may call what (issue 13, item 4): every operation of the OpenAPI document has one rule, and
 * the expected answer for each actor and ownership follows from it (expected()):
 *  - `public`: the same answer for everyone (a bad or suspended token is ignored);
 *  - otherwise anonymous and suspended → 401, a role outside `access` → 403 (BFLA);
 *  - `owned`: another side's resource → 404 for patients and doctors (BOLA; never "403, it's not
 *    yours"), while an admin gets what it gets on its own side;
 *  - else `ok` (one status, or one per role).
 * Admins read clinical records too (audited; src/modules/records says so), but never join a room.
 * Requests are chosen to leave the fixture as it is where they can (a conflict proves the guard
 * let the caller through as well as a 2xx does): cancel a cancelled appointment, start one two
 * days early.
 */
export type Whose = 'own' | 'other';
export interface Call {
  url: string;
  body?: unknown;
}
export interface Rule {
  /** `METHOD /path` as the OpenAPI document names it. */
  route: string;
  access: 'public' | 'signed-in' | readonly Role[];
  owned?: boolean;
  ok: number | Partial<Record<Role, number>>;
  /** A WebSocket upgrade (asked with injectWS; 101 when it opens). */
  socket?: boolean;
  call(on: { f: Fixture; s: Side }): Call;
}

const v1 = '/api/v1';
const HOUR = 3_600_000;
const at = (f: Fixture, hours: number) => new Date(f.t.clock.now().getTime() + hours * HOUR).toISOString();
const url = (path: string) => () => ({ url: path });
const range = (f: Fixture) => `from=${at(f, -240).slice(0, 10)}&to=${at(f, 240).slice(0, 10)}`;

// biome-ignore format: one rule a line reads as a table
export const RULES: readonly Rule[] = [
  { route: 'GET /healthz', access: 'public', ok: 200, call: url('/healthz') },
  { route: 'GET /readyz', access: 'public', ok: 200, call: url('/readyz') },
  { route: 'GET /.well-known/jwks.json', access: 'public', ok: 200, call: url('/.well-known/jwks.json') },
  { route: 'POST /api/v1/auth/register', access: 'public', ok: 201, call: () => ({ url: `${v1}/auth/register`, body: { email: `m-${randomUUID()}@example.test`, password: 'a long password', name: 'Matrix' } }) },
  { route: 'POST /api/v1/auth/login', access: 'public', ok: 200, call: ({ f }) => ({ url: `${v1}/auth/login`, body: { email: f.own.patient.email, password: f.own.patient.password } }) },
  { route: 'POST /api/v1/auth/mfa/verify', access: 'public', ok: 401, call: () => ({ url: `${v1}/auth/mfa/verify`, body: { mfaToken: 'not.a.token', code: '123456' } }) },
  { route: 'POST /api/v1/auth/refresh', access: 'public', ok: 401, call: () => ({ url: `${v1}/auth/refresh`, body: { refreshToken: 'not-a-refresh-token-at-all-000000000000000' } }) },
  { route: 'POST /api/v1/auth/logout', access: 'signed-in', ok: 204, call: url(`${v1}/auth/logout`) },
  { route: 'POST /api/v1/auth/password', access: 'signed-in', ok: 401, call: () => ({ url: `${v1}/auth/password`, body: { currentPassword: 'not the password', newPassword: 'a longer, newer password' } }) },
  { route: 'POST /api/v1/auth/password/forgot', access: 'public', ok: 202, call: ({ f }) => ({ url: `${v1}/auth/password/forgot`, body: { email: f.own.patient.email } }) },
  { route: 'POST /api/v1/auth/password/reset', access: 'public', ok: 400, call: () => ({ url: `${v1}/auth/password/reset`, body: { token: 'Zq3kP1xW0vR8eT6yU4iO2pA9sD7fG5hJ3kL1zX0cV8b', newPassword: 'a long password' } }) },
  { route: 'POST /api/v1/auth/mfa/setup', access: 'signed-in', ok: 200, call: url(`${v1}/auth/mfa/setup`) },
  { route: 'POST /api/v1/auth/mfa/enable', access: 'signed-in', ok: 400, call: () => ({ url: `${v1}/auth/mfa/enable`, body: { code: '000000' } }) },
  { route: 'POST /api/v1/auth/mfa/disable', access: 'signed-in', ok: 409, call: () => ({ url: `${v1}/auth/mfa/disable`, body: { code: '000000' } }) },
  { route: 'GET /api/v1/me', access: 'signed-in', ok: 200, call: url(`${v1}/me`) },
  { route: 'PATCH /api/v1/me', access: 'signed-in', ok: 200, call: () => ({ url: `${v1}/me`, body: { locale: 'en' } }) },
  { route: 'PUT /api/v1/me/profile', access: 'signed-in', ok: 200, call: () => ({ url: `${v1}/me/profile`, body: { dateOfBirth: '1991-08-14', sex: 'female' } }) },
  { route: 'GET /api/v1/me/notifications', access: 'signed-in', ok: 200, call: url(`${v1}/me/notifications`) },
  { route: 'PUT /api/v1/me/notifications', access: 'signed-in', ok: 200, call: () => ({ url: `${v1}/me/notifications`, body: { email: { confirmations: true, changes: true, payments: true, reminders: true, prescriptions: true }, sms: { confirmations: false, changes: false, payments: false, reminders: false, prescriptions: false } } }) },
  { route: 'GET /api/v1/admin/users', access: ['admin'], ok: 200, call: url(`${v1}/admin/users`) },
  { route: 'POST /api/v1/admin/users/{id}/suspend', access: ['admin'], ok: 409, call: ({ f }) => ({ url: `${v1}/admin/users/${f.suspended.id}/suspend`, body: { reason: 'Matrix: already suspended' } }) },
  { route: 'POST /api/v1/admin/users/{id}/reactivate', access: ['admin'], ok: 409, call: ({ s }) => ({ url: `${v1}/admin/users/${s.patient.id}/reactivate` }) },
  { route: 'GET /api/v1/admin/audit-logs', access: ['admin'], ok: 200, call: url(`${v1}/admin/audit-logs`) },
  { route: 'GET /api/v1/admin/audit-logs/verify', access: ['admin'], ok: 200, call: url(`${v1}/admin/audit-logs/verify`) },
  { route: 'POST /api/v1/admin/audit-logs/seal', access: ['admin'], ok: 200, call: url(`${v1}/admin/audit-logs/seal`) },
  { route: 'PUT /api/v1/doctors/me', access: ['doctor'], ok: 200, call: ({ f }) => ({ url: `${v1}/doctors/me`, body: { ...DOCTOR_PROFILE, registrationNumber: f.own.registrationNumber } }) },
  { route: 'PATCH /api/v1/doctors/me', access: ['doctor'], ok: 200, call: () => ({ url: `${v1}/doctors/me`, body: { bio: DOCTOR_PROFILE.bio } }) },
  { route: 'GET /api/v1/doctors/me', access: ['doctor'], ok: 200, call: url(`${v1}/doctors/me`) },
  { route: 'GET /api/v1/admin/doctors', access: ['admin'], ok: 200, call: url(`${v1}/admin/doctors`) },
  { route: 'GET /api/v1/doctors', access: 'public', ok: 200, call: url(`${v1}/doctors`) },
  { route: 'GET /api/v1/doctors/{id}', access: 'public', ok: 200, call: ({ s }) => ({ url: `${v1}/doctors/${s.doctor.id}` }) },
  { route: 'POST /api/v1/admin/doctors/{id}/verify', access: ['admin'], ok: 200, call: ({ s }) => ({ url: `${v1}/admin/doctors/${s.doctor.id}/verify`, body: { status: 'verified' } }) },
  { route: 'PUT /api/v1/doctors/me/schedule', access: ['doctor'], ok: 200, call: () => ({ url: `${v1}/doctors/me/schedule`, body: { rules: [] } }) },
  { route: 'GET /api/v1/doctors/me/schedule', access: ['doctor'], ok: 200, call: url(`${v1}/doctors/me/schedule`) },
  { route: 'POST /api/v1/doctors/me/slots', access: ['doctor'], ok: 201, call: ({ f }) => ({ url: `${v1}/doctors/me/slots`, body: { slots: [{ startsAt: at(f, 240), endsAt: at(f, 240.5), mode: 'video' }] } }) },
  { route: 'GET /api/v1/doctors/me/slots', access: ['doctor'], ok: 200, call: url(`${v1}/doctors/me/slots`) },
  { route: 'DELETE /api/v1/doctors/me/slots/{id}', access: ['doctor'], owned: true, ok: 409, call: ({ s }) => ({ url: `${v1}/doctors/me/slots/${s.bookedSlotId}` }) },
  { route: 'GET /api/v1/doctors/{id}/slots', access: 'public', ok: 200, call: ({ s }) => ({ url: `${v1}/doctors/${s.doctor.id}/slots` }) },
  { route: 'GET /api/v1/ws/availability', access: 'public', ok: 101, socket: true, call: ({ s }) => ({ url: `${v1}/ws/availability?doctorId=${s.doctor.id}` }) },
  { route: 'POST /api/v1/appointments', access: ['patient'], ok: 201, call: ({ s }) => ({ url: `${v1}/appointments`, body: { slotId: s.openSlotId } }) },
  { route: 'GET /api/v1/appointments', access: 'signed-in', ok: 200, call: url(`${v1}/appointments`) },
  { route: 'GET /api/v1/appointments/{id}', access: 'signed-in', owned: true, ok: 200, call: ({ s }) => ({ url: `${v1}/appointments/${s.confirmed}` }) },
  { route: 'GET /api/v1/appointments/{id}/cancellation', access: 'signed-in', owned: true, ok: 200, call: ({ s }) => ({ url: `${v1}/appointments/${s.confirmed}/cancellation` }) },
  { route: 'POST /api/v1/appointments/{id}/cancel', access: 'signed-in', owned: true, ok: 409, call: ({ s }) => ({ url: `${v1}/appointments/${s.cancelled}/cancel`, body: { reason: 'Matrix' } }) },
  { route: 'POST /api/v1/appointments/{id}/reschedule', access: ['patient'], owned: true, ok: 409, call: ({ s }) => ({ url: `${v1}/appointments/${s.cancelled}/reschedule`, body: { slotId: s.openSlotId } }) },
  { route: 'POST /api/v1/appointments/{id}/start', access: ['doctor', 'admin'], owned: true, ok: 409, call: ({ s }) => ({ url: `${v1}/appointments/${s.confirmed}/start` }) },
  { route: 'POST /api/v1/appointments/{id}/complete', access: ['doctor', 'admin'], owned: true, ok: 409, call: ({ s }) => ({ url: `${v1}/appointments/${s.confirmed}/complete` }) },
  { route: 'POST /api/v1/appointments/{id}/no-show', access: ['doctor', 'admin'], owned: true, ok: 409, call: ({ s }) => ({ url: `${v1}/appointments/${s.confirmed}/no-show` }) },
  { route: 'GET /api/v1/appointments/{id}/room', access: ['patient', 'doctor'], owned: true, ok: 200, call: ({ s }) => ({ url: `${v1}/appointments/${s.inProgress}/room` }) },
  { route: 'POST /api/v1/appointments/{id}/review', access: ['patient'], owned: true, ok: 409, call: ({ s }) => ({ url: `${v1}/appointments/${s.inProgress}/review`, body: { rating: 5 } }) },
  { route: 'GET /api/v1/doctors/{id}/reviews', access: 'public', ok: 200, call: ({ s }) => ({ url: `${v1}/doctors/${s.doctor.id}/reviews` }) },
  { route: 'PUT /api/v1/appointments/{id}/notes', access: ['doctor'], owned: true, ok: 200, call: ({ s }) => ({ url: `${v1}/appointments/${s.inProgress}/notes`, body: { text: s.phi.notes } }) },
  { route: 'GET /api/v1/appointments/{id}/notes', access: 'signed-in', owned: true, ok: 200, call: ({ s }) => ({ url: `${v1}/appointments/${s.inProgress}/notes` }) },
  { route: 'POST /api/v1/appointments/{id}/prescription', access: ['doctor'], owned: true, ok: 409, call: ({ s }) => ({ url: `${v1}/appointments/${s.confirmed}/prescription`, body: { diagnosis: 'Matrix', medicines: [{ name: 'Triphala', dose: '3 g', frequency: 'at night', durationDays: 7 }] } }) },
  { route: 'GET /api/v1/appointments/{id}/prescription', access: 'signed-in', owned: true, ok: 200, call: ({ s }) => ({ url: `${v1}/appointments/${s.inProgress}/prescription` }) },
  { route: 'GET /api/v1/appointments/{id}/prescription.pdf', access: 'signed-in', owned: true, ok: 202, call: ({ s }) => ({ url: `${v1}/appointments/${s.inProgress}/prescription.pdf` }) },
  { route: 'GET /api/v1/prescriptions/verify/{verificationId}', access: 'public', ok: 200, call: ({ s }) => ({ url: `${v1}/prescriptions/verify/${s.verificationId}` }) },
  { route: 'POST /api/v1/payments/webhook', access: 'public', ok: 401, call: () => ({ url: `${v1}/payments/webhook`, body: { event: 'payment.captured', payload: {} } }) },
  { route: 'GET /api/v1/payments', access: ['patient', 'admin'], ok: 200, call: url(`${v1}/payments`) },
  { route: 'POST /api/v1/payments/{id}/checkout', access: ['patient', 'admin'], owned: true, ok: 200, call: ({ s }) => ({ url: `${v1}/payments/${s.confirmedPaymentId}/checkout` }) },
  { route: 'POST /api/v1/payments/{id}/sandbox/{outcome}', access: ['patient', 'admin'], owned: true, ok: 200, call: ({ s }) => ({ url: `${v1}/payments/${s.confirmedPaymentId}/sandbox/succeed` }) },
  { route: 'GET /api/v1/admin/analytics/overview', access: ['admin'], ok: 200, call: ({ f }) => ({ url: `${v1}/admin/analytics/overview?${range(f)}` }) },
  { route: 'GET /api/v1/admin/analytics/doctors', access: ['admin'], ok: 200, call: ({ f }) => ({ url: `${v1}/admin/analytics/doctors?${range(f)}` }) },
  { route: 'GET /api/v1/admin/analytics/export.csv', access: ['admin'], ok: 200, call: ({ f }) => ({ url: `${v1}/admin/analytics/export.csv?${range(f)}` }) },
  { route: 'GET /api/v1/admin/jobs/dead', access: ['admin'], ok: 200, call: url(`${v1}/admin/jobs/dead`) },
  { route: 'POST /api/v1/admin/jobs/dead/{id}/retry', access: ['admin'], ok: 404, call: () => ({ url: `${v1}/admin/jobs/dead/${randomUUID()}/retry` }) },
];

const roleOf = { patient: 'patient', doctor: 'doctor', admin: 'admin' } as const;

/** The status `actor` must get from `rule` on its own side's resource or another's. */
export function expected(rule: Rule, actor: Actor, whose: Whose): number {
  const okFor = (role: Role | 'anonymous') => {
    const status = typeof rule.ok === 'number' ? rule.ok : rule.ok[role as Role];
    if (status === undefined) throw new Error(`${rule.route}: no ok status for ${role}`);
    return status;
  };
  if (rule.access === 'public') return okFor('anonymous');
  if (actor === 'anonymous' || actor === 'suspended') return 401;
  const role = roleOf[actor];
  if (rule.access !== 'signed-in' && !rule.access.includes(role)) return 403;
  if (rule.owned && whose === 'other' && role !== 'admin') return 404;
  return okFor(role);
}

/** The ownerships worth asking about: both when the rule's resource belongs to someone. */
export const ownerships = (rule: Rule): readonly Whose[] => (rule.owned ? ['own', 'other'] : ['own']);
