import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { registerJobHandlers } from '../src/jobs.ts';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import { type Account, bearer, createDoctor, signUp, startTestApp, type TestApp } from './helpers/app.ts';
import { run } from './helpers/process.ts';
import { recordsKit } from './helpers/records.ts';

// Issue 9, item 3: key rotation keeps every sealed value readable (the real CLI, in batches,
// resumable), and the PDF job runs in-process in embedded mode.
const key = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

/** Every sealed column with how its values are sealed: `v1:<kid>`, or `v0:<plain text>` for legacy text. */
async function sealedKeys(t: TestApp): Promise<string[]> {
  const { rows } = await sql<{ where: string; value: string }>`
    SELECT 'appointments.reason' AS where, reason AS value FROM appointments WHERE reason IS NOT NULL
    UNION ALL SELECT 'appointments.cancel_reason', cancel_reason FROM appointments WHERE cancel_reason IS NOT NULL
    UNION ALL SELECT 'clinical_notes.body', body FROM clinical_notes
    UNION ALL SELECT 'prescriptions.content', content FROM prescriptions
    UNION ALL SELECT 'prescriptions.pdf', pdf FROM prescriptions WHERE pdf IS NOT NULL
    UNION ALL SELECT 'users.mfa_secret', mfa_secret FROM users WHERE mfa_secret IS NOT NULL`.execute(
    t.platform.db,
  );
  const how = (value: string) => (value.startsWith('v0:') ? value : value.split(':', 2).join(':'));
  return [...new Set(rows.map((r) => `${r.where} ${how(r.value)}`))].sort();
}

describe('phi-rotate', () => {
  it('re-seals everything with the new key in batches; a second run has nothing to do; the old key can go', async () => {
    const [a, b] = [key('ka'), key('kb')];
    const t1 = await startTestApp({ clockStart: '2026-03-01T00:00:00Z', env: { PHI_ENCRYPTION_KEYS: a } });
    const apps: TestApp[] = [];
    try {
      registerJobHandlers(t1.services, t1.platform.logger);
      const admin = await signUp(t1, 'admin');
      const r = recordsKit(t1, admin);

      // With key A: a consultation with notes, a prescription and its PDF; a cancelled booking;
      // a reason from before encryption ('v0:'); a doctor with MFA.
      const c = await r.inProgress({ reason: 'Burning in the chest after meals' });
      await r.api(c.doctor, 'PUT', `/appointments/${c.id}/notes`, { text: 'Notes, first version' });
      await r.api(c.doctor, 'PUT', `/appointments/${c.id}/notes`, { text: 'Notes, second version' });
      const issued = (
        await r.api(c.doctor, 'POST', `/appointments/${c.id}/prescription`, r.prescription)
      ).json();
      await r.renderedPdf(c.patient, c.id);
      const cancelled = await r.paid({ reason: 'Joint pain' });
      await r.kit.call(cancelled.patient.accessToken, 'POST', `/appointments/${cancelled.id}/cancel`, {
        reason: 'Travelling',
      });
      const legacy = await r.paid();
      await sql`UPDATE appointments SET reason = 'v0:Written before 0004' WHERE id = ${legacy.id}`.execute(
        t1.platform.db,
      );
      const mfaDoctor = await createDoctor(t1, admin);
      const { secret } = (await r.api(mfaDoctor, 'POST', '/auth/mfa/setup')).json();
      const enabled = await r.api(mfaDoctor, 'POST', '/auth/mfa/enable', {
        code: totpCodeAt(secret, t1.clock.now()),
      });
      expect(enabled.statusCode, enabled.body).toBe(200);
      const columns = [
        'appointments.cancel_reason',
        'appointments.reason',
        'clinical_notes.body',
        'prescriptions.content',
        'prescriptions.pdf',
        'users.mfa_secret',
      ];
      expect(await sealedKeys(t1)).toEqual(
        [...columns.map((c) => `${c} v1:ka`), 'appointments.reason v0:Written before 0004'].sort(),
      );

      // Restarted with B first: new values are sealed with B, old ones still open with A.
      const t2 = await startTestApp({ shareWith: t1, env: { PHI_ENCRYPTION_KEYS: `${b},${a}` } });
      apps.push(t2);
      await r.refreshed(c.doctor);
      const third = await t2.inject({
        method: 'PUT',
        url: `/api/v1/appointments/${c.id}/notes`,
        headers: bearer(c.doctor.accessToken),
        payload: { text: 'Notes, third version' },
      });
      expect(third.json().version).toBe(3);

      const env = {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATA_DIR: t1.platform.config.dataDir,
        DATABASE_URL: t1.platform.config.databaseUrl!,
        PHI_ENCRYPTION_KEYS: `${b},${a}`,
      };
      const rotation = run('src/cli.ts', ['phi-rotate', '--batch', '2'], env);
      expect(await rotation.exit, rotation.output()).toBe(0);
      expect(rotation.output()).toMatch(/phi-rotate: clinical_notes\.body 2 rows in/); // progress (stderr)
      expect(rotation.output()).toMatch(/clinical_notes\.body\s+2 re-sealed,\s+1 already on it/);
      expect(rotation.output()).toMatch(/appointments\.reason\s+3 re-sealed/); // the 'v0:' one too
      expect(rotation.output()).toContain('done: every value is sealed with "kb"');
      expect(await sealedKeys(t1)).toEqual(columns.map((c) => `${c} v1:kb`));
      const plain = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM appointments WHERE reason LIKE 'v0:%'`.execute(t1.platform.db);
      expect(plain.rows[0]!.n).toBe(0);

      const again = run('src/cli.ts', ['phi-rotate'], env);
      expect(await again.exit, again.output()).toBe(0);
      expect(again.output()).toMatch(/clinical_notes\.body\s+0 re-sealed,\s+3 already on it/);

      // Restarted with B alone: everything still reads.
      const t3 = await startTestApp({ shareWith: t1, env: { PHI_ENCRYPTION_KEYS: b } });
      apps.push(t3);
      const get = (who: Account, url: string) =>
        t3.inject({ method: 'GET', url: `/api/v1${url}`, headers: bearer(who.accessToken) });
      await r.refreshed(c.patient, cancelled.patient, legacy.patient);
      for (const [version, text] of ['first', 'second', 'third'].entries()) {
        const res = await get(c.patient, `/appointments/${c.id}/notes?version=${version + 1}`);
        expect(res.json().text).toBe(`Notes, ${text} version`);
      }
      expect((await get(c.patient, `/appointments/${c.id}/prescription`)).json()).toMatchObject({
        hash: issued.hash,
        medicines: r.prescription.medicines,
      });
      const pdf = await get(c.patient, `/appointments/${c.id}/prescription.pdf`);
      expect(pdf.statusCode).toBe(200);
      expect(await r.pdfText(pdf.rawPayload)).toContain(issued.verificationId);
      expect((await get(c.patient, `/appointments/${c.id}`)).json().reason).toBe(
        'Burning in the chest after meals',
      );
      expect((await get(cancelled.patient, `/appointments/${cancelled.id}`)).json()).toMatchObject({
        reason: 'Joint pain',
        cancelReason: 'Travelling',
      });
      expect((await get(legacy.patient, `/appointments/${legacy.id}`)).json().reason).toBe(
        'Written before 0004',
      );
      t1.clock.advance(60_000); // a new TOTP step
      const login = await t3.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: mfaDoctor.email, password: mfaDoctor.password },
      });
      const verified = await t3.inject({
        method: 'POST',
        url: '/api/v1/auth/mfa/verify',
        payload: { mfaToken: login.json().mfaToken, code: totpCodeAt(secret, t1.clock.now()) },
      });
      expect(verified.statusCode, verified.body).toBe(200);
    } finally {
      for (const app of apps.reverse()) await app.close();
      await t1.close();
    }
  });

  it('--help says what it does, without touching a database', async () => {
    const help = run('src/cli.ts', ['phi-rotate', '--help'], {});
    expect(await help.exit).toBe(0);
    expect(help.output()).toContain('Re-seals every encrypted value');
    const usage = run('src/cli.ts', ['--help'], {});
    await usage.exit;
    expect(usage.output()).toContain('phi-rotate');
  });
});

describe('embedded mode', () => {
  it('the PDF job runs in-process', async () => {
    const t = await startTestApp({ mode: 'embedded', clockStart: '2026-03-01T00:00:00Z' });
    try {
      registerJobHandlers(t.services, t.platform.logger);
      const admin = await signUp(t, 'admin');
      const r = recordsKit(t, admin);
      const c = await r.inProgress();
      const issued = await r.api(c.doctor, 'POST', `/appointments/${c.id}/prescription`, r.prescription);
      expect(issued.statusCode, issued.body).toBe(201);
      const text = await r.pdfText(await r.renderedPdf(c.patient, c.id));
      expect(text).toContain(issued.json().verificationId);
      expect(text).toContain('Avipattikar churna');
    } finally {
      await t.close();
    }
  });
});
