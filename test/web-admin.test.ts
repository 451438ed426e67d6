import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  ApiUser,
  adminOf,
  checkBothSizes,
  launchBrowser,
  newContext,
  signInThroughPage,
  startWebServer,
  verifiedDoctor,
  type WebServer,
} from './helpers/browser.ts';
import { startMailbox } from './helpers/mailbox.ts';
import { uniqueName } from './helpers/services.ts';

/**
 * The admin pages in a real browser, signed in through the login page: the verification queue
 * (verify → the doctor is public; reject with a reason), suspending and reactivating an account
 * (its token stops working at once), the analytics dashboard over real bookings (tiles, two uPlot
 * charts with their tables, the doctors table, the CSV), the audit log with the chain check, and the
 * dead-letter list with a retry (a mailbox that refuses one patient's mail makes the dead letters).
 */
let server: WebServer;
let browser: Browser;
let page: Page;
let admin: ApiUser;
let mailbox: Awaited<ReturnType<typeof startMailbox>>;

beforeAll(async () => {
  mailbox = await startMailbox();
  [server, browser] = await Promise.all([startWebServer({ SMTP_URL: mailbox.url }), launchBrowser()]);
  admin = await adminOf(server);
  page = await (await newContext(browser)).newPage();
  await signInThroughPage(page, server, ADMIN.email, ADMIN.password);
  await page.getByRole('heading', { name: 'Doctor verification' }).waitFor();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await mailbox?.close();
});

const PROFILE = {
  council: 'NCISM',
  specializations: ['panchakarma'],
  languages: ['hi', 'en'],
  feeMinor: 60000,
  modes: ['video'],
  timezone: 'Asia/Kolkata',
  bio: 'Panchakarma physician',
};
/** A doctor with a profile, waiting for review; the profile's id. */
async function pendingDoctor(name: string): Promise<string> {
  const doctor = await ApiUser.register(server, 'doctor', name);
  await doctor.call('PUT', '/doctors/me', {
    ...PROFILE,
    registrationNumber: `NCISM/AY/${uniqueName('r').slice(-8)}`,
  });
  return (await doctor.call<{ id: string }>('GET', '/doctors/me')).id;
}
const status = (text: string) => page.getByRole('status').filter({ hasText: text });
const publicDoctor = async (id: string) => (await fetch(`${server.api}/doctors/${id}`)).status;
const dateIn = (timeZone: string, plusDays = 0) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(Date.now() + plusDays * 86_400_000),
  );

describe('admin pages in the browser', { timeout: 90_000 }, () => {
  it('failed jobs: says there are none', async () => {
    await page.goto(`${server.url}/admin/jobs`);
    await page.getByText('No failed jobs.').waitFor();
    await checkBothSizes(page, 'admin-jobs');
  });

  it('verification: a pending doctor is verified on the page and becomes public; another is rejected with a reason', async () => {
    const asha = `Dr. Asha ${uniqueName('v').slice(-6)}`;
    const bhanu = `Dr. Bhanu ${uniqueName('v').slice(-6)}`;
    const ashaId = await pendingDoctor(asha);
    const bhanuId = await pendingDoctor(bhanu);
    expect(await publicDoctor(ashaId)).toBe(404);

    await page.goto(`${server.url}/admin`);
    await page.getByRole('heading', { name: asha }).waitFor();
    await page.getByRole('heading', { name: bhanu }).waitFor();
    await checkBothSizes(page, 'admin-verification');

    await page.getByRole('button', { name: `Verify ${asha}` }).click();
    await status(`${asha} is verified`).waitFor();
    await page.getByRole('heading', { name: asha }).waitFor({ state: 'detached' });
    expect(await publicDoctor(ashaId)).toBe(200);

    await page.getByRole('button', { name: `Reject ${bhanu}` }).click();
    await page.getByLabel('Why is this profile rejected?').fill('Registration number not found with NCISM');
    await page.getByRole('button', { name: `Reject ${bhanu}`, exact: true }).click();
    await status(`${bhanu} is rejected`).waitFor();
    await page.getByRole('heading', { name: bhanu }).waitFor({ state: 'detached' });
    expect(await publicDoctor(bhanuId)).toBe(404);

    await page.getByLabel('Show', { exact: true }).selectOption('rejected');
    await page.getByText('Registration number not found with NCISM').waitFor();
  });

  it('users: finds a patient by e-mail prefix, suspends it (its token stops working), reactivates it', async () => {
    const name = `Kavya ${uniqueName('u').slice(-6)}`;
    const patient = await ApiUser.register(server, 'patient', name);
    await page.goto(`${server.url}/admin/users`);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByLabel('Name or e-mail starts with').fill(patient.email.slice(0, -6).toUpperCase());
    await page.getByRole('button', { name: 'Search' }).click();
    const card = page.getByRole('region', { name });
    await card.waitFor();
    expect(await page.getByRole('heading', { level: 2 }).count()).toBe(1);
    await checkBothSizes(page, 'admin-users');

    await card.getByRole('button', { name: `Suspend ${name}` }).click();
    await card.getByLabel('Reason').fill('Abusive messages to doctors');
    await card.getByRole('button', { name: 'Yes, suspend' }).click();
    await status(`${name} is suspended`).waitFor();
    await card.getByText('Suspended since').waitFor();
    await expect(patient.call('GET', '/me')).rejects.toThrow(/→ 401/);
    await expect(ApiUser.login(server, patient.email, patient.password)).rejects.toThrow();

    await card.getByRole('button', { name: `Reactivate ${name}` }).click();
    await status(`${name} is active again`).waitFor();
    await card.getByText('Active', { exact: true }).waitFor();
    const again = await ApiUser.login(server, patient.email, patient.password);
    expect((await again.call<{ id: string }>('GET', '/me')).id).toBe(patient.id);
  });

  let patientEmail = '';
  it('analytics: tiles, two charts with their numbers, the doctors table and the CSV over two paid bookings', async () => {
    const doctorName = `Dr. Chart ${uniqueName('a').slice(-6)}`;
    const { profileId } = await verifiedDoctor(server, { name: doctorName });
    const patient = await ApiUser.register(server, 'patient', 'Ravi Kumar');
    patientEmail = patient.email;
    // The confirmation mails to this patient fail every try: the dead letters of the last test.
    mailbox.refuse([patient.email]);
    const { items: slots } = await patient.call<{ items: Array<{ id: string }> }>(
      'GET',
      `/doctors/${profileId}/slots`,
    );
    for (const slot of slots.slice(0, 2)) {
      const booked = await patient.call<{ payment: { id: string } }>(
        'POST',
        '/appointments',
        { slotId: slot.id },
        { 'idempotency-key': randomUUID() },
      );
      await patient.call('POST', `/payments/${booked.payment.id}/checkout`);
      await patient.call('POST', `/payments/${booked.payment.id}/sandbox/succeed`);
    }
    const to = dateIn('Asia/Kolkata', 3);
    await expect
      .poll(
        async () => {
          const o = await admin.call<{ booked: number; pendingChanges: number }>(
            'GET',
            `/admin/analytics/overview?to=${to}&tz=Asia/Kolkata`,
          );
          return o.pendingChanges === 0 && o.booked;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(2);

    await page.goto(`${server.url}/admin/analytics`);
    await page.getByLabel('To (included)').fill(to);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const tile = (label: string) => page.locator('dl > div').filter({ hasText: label });
    await tile('Consultations booked').getByText('2', { exact: true }).waitFor();
    await tile('Net revenue').getByText('₹1,000.00').waitFor();
    expect(await page.locator('figure canvas').count()).toBe(2);

    await page.getByText('Show the numbers: Appointments per day').click();
    const table = page.getByRole('table', { name: 'Appointments per day, by status' });
    await table.waitFor();
    expect(await table.getByRole('row').count()).toBeGreaterThan(30);
    expect(await table.getByRole('columnheader', { name: 'Confirmed' }).count()).toBe(1);

    const doctors = page.getByRole('table', { name: 'Doctors' });
    await doctors.getByRole('rowheader', { name: doctorName }).waitFor();
    await page.getByLabel('Sort by').selectOption('name');
    await doctors.getByRole('rowheader', { name: doctorName }).waitFor();
    await checkBothSizes(page, 'admin-analytics');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^amrutam-doctors-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    expect(await readFile(await download.path(), 'utf8')).toContain(doctorName);
  });

  it('audit log: shows the verification and says the chain is intact', async () => {
    await page.goto(`${server.url}/admin/audit`);
    const table = page.getByRole('table', { name: 'Audit records, newest first' });
    await table.waitFor();
    expect(await table.getByRole('row').count()).toBeGreaterThan(5);
    await page.getByLabel('Action', { exact: true }).fill('doctor.verified');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(() => table.getByRole('cell', { name: 'doctor.verified' }).count()).toBe(2);
    expect(await table.getByRole('cell', { name: 'doctor.rejected' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await status('The audit chain is intact').waitFor();
    await checkBothSizes(page, 'admin-audit');
  });

  it('failed jobs: the refused confirmation mails are listed; a retry queues one again and the mail arrives', async () => {
    await expect
      .poll(
        async () =>
          (await admin.call<{ items: Array<{ name: string }> }>('GET', '/admin/jobs/dead')).items.filter(
            (job) => job.name === 'appointment.confirmed',
          ).length,
        { timeout: 30_000, interval: 500 },
      )
      .toBe(2);
    await page.goto(`${server.url}/admin/jobs`);
    const retry = page.getByRole('button', { name: 'Retry appointment.confirmed' });
    await expect.poll(() => retry.count()).toBe(2);
    await page.getByText('EENVELOPE').first().waitFor();
    await checkBothSizes(page, 'admin-jobs-failed');

    mailbox.refuse(null);
    await retry.first().click();
    await status('appointment.confirmed is queued again').waitFor();
    await page.getByText('Queued again', { exact: true }).waitFor();
    expect(await retry.count()).toBe(1);
    await mailbox.waitFor(patientEmail, 1, 15_000);
  });
});
