import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, bearer, freshToken, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { bookingKit } from './helpers/booking.ts';
import { uniqueName } from './helpers/services.ts';

// Issue 10, item 1: admins find accounts (by role, status, name or e-mail prefix, newest first,
// paged), and cancel any appointment with a full refund. Suspension: suspension.test.ts.
let a: TestApp;
let admin: Account;
beforeAll(async () => {
  a = await startTestApp({ clockStart: '2026-03-01T00:00:00Z' });
  admin = await signUp(a, 'admin');
});
afterAll(() => a.close());

const api = (t: TestApp, token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  t.inject({ method, url: `/api/v1${url}`, headers: bearer(token), ...(payload ? { payload } : {}) });
const me = (t: TestApp, token: string) => api(t, token, 'GET', '/me');
const suspend = (id: string, reason = 'Abusive messages to doctors', token = admin.accessToken) =>
  api(a, token, 'POST', `/admin/users/${id}/suspend`, { reason });
const reactivate = (id: string, token = admin.accessToken) =>
  api(a, token, 'POST', `/admin/users/${id}/reactivate`);

describe('GET /admin/users', () => {
  /** Accounts named `<tag> <name>` with e-mails `<tag>.<local>@example.test`, two sharing one instant. */
  async function people(tag: string) {
    const at = new Date('2026-02-01T10:00:00.123456Z');
    const rows = [
      { name: 'Meera Iyer', local: 'meera', role: 'patient' as const, created_at: at },
      { name: 'Mehul Shah', local: 'mehul', role: 'patient' as const, created_at: at },
      {
        name: 'Asha Rao',
        local: 'asha',
        role: 'doctor' as const,
        created_at: new Date('2026-02-02T00:00:00Z'),
      },
      {
        name: '100% Ayur_veda',
        local: 'percent',
        role: 'doctor' as const,
        created_at: new Date('2026-02-03Z'),
      },
      { name: 'Ravi Kumar', local: 'ravi', role: 'admin' as const, created_at: new Date('2026-02-04Z') },
    ];
    return a.platform.db
      .insertInto('users')
      .values(
        rows.map((r) => ({
          email: `${tag}.${r.local}@example.test`,
          password_hash: 'not-a-login-account',
          role: r.role,
          name: `${tag} ${r.name}`,
          phone: null,
          mfa_secret: null,
          mfa_pending_secret: null,
          mfa_last_step: null,
          created_at: r.created_at,
          updated_at: r.created_at,
        })),
      )
      .returning(['id', 'name'])
      .execute();
  }
  const list = async (query: string) => {
    const res = await api(a, admin.accessToken, 'GET', `/admin/users?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Array<Record<string, unknown>>; nextCursor: string | null };
  };
  const names = (page: { items: Array<Record<string, unknown>> }) => page.items.map((i) => i.name);

  it('searches name and e-mail prefixes in any case, newest first; wildcards are literal', async () => {
    const tag = uniqueName('Zq');
    const rows = await people(tag);
    // Meera and Mehul share an instant: the larger id first, as the keyset orders them.
    const tied = rows
      .filter((r) => / Me/.test(r.name))
      .sort((x, y) => (x.id < y.id ? 1 : -1))
      .map((r) => r.name);
    expect(names(await list(`q=${tag.toUpperCase()}`))).toEqual([
      `${tag} Ravi Kumar`,
      `${tag} 100% Ayur_veda`,
      `${tag} Asha Rao`,
      ...tied,
    ]);
    expect(names(await list(`q=${encodeURIComponent(`${tag} MEE`)}`))).toEqual([`${tag} Meera Iyer`]);
    expect(names(await list(`q=${encodeURIComponent(`${tag}.meh`)}`))).toEqual([`${tag} Mehul Shah`]);
    expect(names(await list(`q=${encodeURIComponent(`${tag} 100%`)}`))).toEqual([`${tag} 100% Ayur_veda`]);
    expect((await list(`q=${encodeURIComponent(`${tag} 1%`)}`)).items).toEqual([]); // % is a percent sign
    expect((await list(`q=${encodeURIComponent(`${tag} _sha`)}`)).items).toEqual([]); // _ is an underscore
    const item = (await list(`q=${encodeURIComponent(`${tag} Asha`)}`)).items[0];
    expect(item).toMatchObject({
      email: `${tag}.asha@example.test`,
      role: 'doctor',
      status: 'active',
      suspension: null,
      mfaEnabled: false,
      createdAt: '2026-02-02T00:00:00.000Z',
    });
  });

  it('filters by role and status; pages walk every match once, ties on the instant included', async () => {
    const tag = uniqueName('Zr');
    const rows = await people(tag);
    const q = `q=${tag}`;
    expect(names(await list(`${q}&role=doctor`))).toEqual([`${tag} 100% Ayur_veda`, `${tag} Asha Rao`]);
    expect(names(await list(`${q}&role=admin`))).toEqual([`${tag} Ravi Kumar`]);
    const asha = rows.find((r) => r.name.endsWith('Asha Rao'))!;
    expect((await suspend(asha.id)).statusCode).toBe(200);
    const suspended = await list(`${q}&status=suspended`);
    expect(names(suspended)).toEqual([`${tag} Asha Rao`]);
    expect(suspended.items[0]).toMatchObject({
      status: 'suspended',
      suspension: { reason: 'Abusive messages to doctors', since: a.clock.now().toISOString() },
    });
    expect(names(await list(`${q}&status=active&role=doctor`))).toEqual([`${tag} 100% Ayur_veda`]);

    const all = names(await list(q));
    const walked: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`${q}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      walked.push(...names(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(walked).toEqual(all);
    expect(all).toHaveLength(5);
  });

  it('refuses bad input, other roles and anonymous callers', async () => {
    const patient = await signUp(a);
    const doctor = await signUp(a, 'doctor');
    for (const url of ['/admin/users?status=gone', '/admin/users?role=nurse', '/admin/users?cursor=xyz']) {
      const res = await api(a, admin.accessToken, 'GET', url);
      expect(res.statusCode, url).toBe(400);
    }
    expect((await api(a, admin.accessToken, 'GET', '/admin/users?cursor=xyz')).json().code).toBe(
      'INVALID_CURSOR',
    );
    for (const who of [patient, doctor]) {
      expect((await api(a, who.accessToken, 'GET', '/admin/users')).statusCode).toBe(403);
      expect((await suspend(patient.id, 'x', who.accessToken)).statusCode).toBe(403);
      expect((await reactivate(patient.id, who.accessToken)).statusCode).toBe(403);
    }
    expect((await a.inject({ method: 'GET', url: '/api/v1/admin/users' })).statusCode).toBe(401);
    const empty = await suspend(patient.id, '   ');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().errors[0].path).toBe('body.reason');
    expect((await me(a, patient.accessToken)).statusCode).toBe(200); // nothing happened
  });
});

describe('admin cancel: the admin’s tool for disputes', () => {
  it('an admin cancels any patient’s paid appointment with a full refund, audited as theirs', async () => {
    const kit = bookingKit(a, admin);
    admin.accessToken = await freshToken(a, admin);
    const { patient, appointment } = await kit.booked(30); // 30 h ahead
    await kit.pay(patient, appointment.payment.id, 'succeed');
    a.clock.advance(20 * 3_600_000); // inside the patient's late window: a patient would get nothing
    admin.accessToken = await freshToken(a, admin);
    const res = await kit.call(admin.accessToken, 'POST', `/appointments/${appointment.id}/cancel`, {
      reason: 'Patient dispute, settled by support',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'cancelled',
      cancelledBy: 'admin',
      refund: { amountMinor: 50000, status: 'pending' },
    });
    const audit = await a.platform.db
      .selectFrom('audit_logs')
      .select(['actor_id', 'actor_role', 'details'])
      .where('entity_id', '=', appointment.id)
      .where('action', '=', 'appointment.cancelled')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_id: admin.id, actor_role: 'admin', details: { by: 'admin' } });
  });
});
