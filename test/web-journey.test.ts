import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiUser,
  launchBrowser,
  newContext,
  signInThroughPage,
  startWebServer,
  verifiedDoctor,
  type WebServer,
} from './helpers/browser.ts';
import { uniqueName } from './helpers/services.ts';

/**
 * The whole consultation across two browsers, as the issue tells it: the doctor publishes a
 * schedule on the schedule page; the patient sees the slots; another patient's booking (through
 * the API) makes one vanish from the patient's grid without a reload; the patient books and pays;
 * the doctor sees it in the calendar, starts it, writes a prescription and completes it; the
 * patient downloads the PDF and reviews. The start window is widened so the next slot can start.
 */
const ZONE = 'Asia/Kolkata';
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const PATIENT_NAME = 'Meera Iyer';
const DOCTOR_NAME = `Dr. Journey ${uniqueName('j').slice(-5)}`;

let server: WebServer;
let browser: Browser;
let doctorPage: Page;
let patientPage: Page;
let doctor: ApiUser;
let patient: ApiUser;
let profileId = '';
let appointmentId = '';

/** The weekday's name in the doctor's zone, `plusDays` from now. */
const weekdayIn = (plusDays: number) => {
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(
    Date.now() + plusDays * 86_400_000,
  );
  return WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;
};

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startWebServer({ CONSULTATION_START_EARLY_MINUTES: '120', ROOM_OPENS_MINUTES_BEFORE: '120' }),
    launchBrowser(),
  ]);
  // Accounts and the doctor's profile and verification are set up through the API; the schedule,
  // the booking and the consultation happen on the pages.
  ({ doctor, profileId } = await verifiedDoctor(server, { name: DOCTOR_NAME, schedule: false }));
  patient = await ApiUser.register(server, 'patient', PATIENT_NAME);
  await patient.call('PUT', '/me/profile', { dateOfBirth: '1990-05-17', sex: 'female' });

  doctorPage = await (await newContext(browser, { timezoneId: ZONE })).newPage();
  patientPage = await (await newContext(browser, { phone: true, timezoneId: ZONE })).newPage();
  await signInThroughPage(doctorPage, server, doctor.email, doctor.password);
  await doctorPage.getByRole('link', { name: 'Calendar' }).waitFor();
  await signInThroughPage(patientPage, server, patient.email, patient.password);
  await patientPage.getByRole('link', { name: 'My appointments' }).waitFor();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const slotsOf = async () =>
  (
    (await (await fetch(`${server.api}/doctors/${profileId}/slots`)).json()) as {
      items: { id: string; startsAt: string }[];
    }
  ).items;
/** A calendar date in the doctor's zone. */
const dateIn = (instant: number) => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(instant);
let bookedStartsAt = '';
const slotButton = (id: string) => patientPage.locator(`button[data-slot-id="${id}"]`);

describe('a consultation from schedule to review, in two browsers', () => {
  it('the doctor publishes a schedule; the patient sees its slots', async () => {
    await doctorPage.getByRole('link', { name: 'Schedule' }).click();
    await doctorPage.getByRole('heading', { name: 'Weekly schedule' }).waitFor();
    for (const weekday of [weekdayIn(0), weekdayIn(1)]) {
      const day = doctorPage.getByRole('group', { name: weekday, exact: true });
      await day.getByRole('button', { name: /^Add hours on/ }).click();
      await day.getByLabel('From').last().fill('00:00');
      await day.getByLabel('Until').last().fill('23:30');
    }
    await doctorPage.getByRole('button', { name: 'Save' }).click();
    await doctorPage
      .getByRole('status')
      .filter({ hasText: /^Schedule saved: [1-9]\d* slots added/ })
      .waitFor();

    await patientPage.goto(`${server.url}/doctors/${profileId}`);
    await patientPage.getByRole('heading', { level: 1, name: DOCTOR_NAME }).waitFor();
    await patientPage.locator('button[data-slot-id]').first().waitFor();
  }, 60_000);

  it('another patient’s booking makes that slot vanish from the grid without a reload', async () => {
    const slots = await slotsOf();
    const taken = slots[1]!;
    await slotButton(taken.id).waitFor();
    const other = await ApiUser.register(server, 'patient', 'Ravi Kumar');
    await other.call(
      'POST',
      '/appointments',
      { slotId: taken.id },
      { 'idempotency-key': crypto.randomUUID() },
    );
    await slotButton(taken.id).waitFor({ state: 'detached', timeout: 5000 });
  }, 30_000);

  it('the patient books the first slot and pays; the confirmation shows', async () => {
    const [first] = await slotsOf();
    bookedStartsAt = first!.startsAt;
    await slotButton(first!.id).click();
    await patientPage.getByRole('button', { name: 'Book and go to payment' }).click();
    await patientPage.waitForURL(/\/appointments\/[0-9a-f-]+\/pay$/);
    appointmentId = /appointments\/([0-9a-f-]+)\/pay/.exec(patientPage.url())![1]!;
    await patientPage.getByRole('button', { name: 'Pay (succeeds)' }).click();
    await patientPage.getByText('Your appointment is confirmed.').waitFor({ timeout: 15_000 });
  }, 60_000);

  it('the doctor sees it in the calendar, starts it, prescribes and completes it', async () => {
    await doctorPage.getByRole('link', { name: 'Calendar' }).click();
    await doctorPage.getByRole('heading', { name: 'Appointments' }).waitFor();
    // The calendar opens on today; the first free slot may be just after midnight, tomorrow.
    if (dateIn(Date.parse(bookedStartsAt)) !== dateIn(Date.now())) {
      await doctorPage.getByRole('button', { name: 'Next day' }).click();
    }
    await doctorPage.getByRole('link', { name: new RegExp(PATIENT_NAME) }).click();
    await doctorPage.getByRole('heading', { name: `Consultation with ${PATIENT_NAME}` }).waitFor();
    await doctorPage.getByRole('button', { name: 'Start the consultation' }).click();
    await doctorPage.getByRole('status').filter({ hasText: 'The consultation has started.' }).waitFor();

    await doctorPage.getByLabel('Diagnosis', { exact: true }).fill('Amlapitta (hyperacidity)');
    const medicine = doctorPage.getByRole('group', { name: 'Medicine 1' });
    await medicine.getByLabel('Name', { exact: true }).fill('Avipattikar churna');
    await medicine.getByLabel('Dose', { exact: true }).fill('3 g');
    await medicine.getByLabel('How often', { exact: true }).fill('twice daily');
    await medicine.getByLabel('For how many days', { exact: true }).fill('30');
    await doctorPage.getByLabel('Advice', { exact: true }).fill('Avoid spicy and fried food.');
    await doctorPage.getByRole('button', { name: 'Issue the prescription' }).click();
    await doctorPage.getByRole('status').filter({ hasText: 'Prescription issued (version 1).' }).waitFor();
    await doctorPage.getByRole('button', { name: 'Complete the consultation' }).click();
    await doctorPage.getByRole('status').filter({ hasText: 'The consultation is complete.' }).waitFor();
  }, 60_000);

  it('the patient downloads the prescription PDF and reviews the consultation', async () => {
    await patientPage.goto(`${server.url}/appointments/${appointmentId}`);
    const downloadButton = patientPage.getByRole('button', { name: 'Download PDF' });
    await downloadButton.waitFor({ timeout: 20_000 });
    const [download] = await Promise.all([patientPage.waitForEvent('download'), downloadButton.click()]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    const pdf = await readFile((await download.path())!);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    await patientPage.getByRole('heading', { name: 'Rate your consultation' }).waitFor();
    await patientPage.getByLabel('5 of 5').check();
    await patientPage.getByLabel(/Your review/).fill('Listened carefully and explained the diet.');
    await patientPage.getByRole('button', { name: 'Send review' }).click();
    await patientPage.getByText('Thank you for your review.').waitFor();
    const reviews = (await (await fetch(`${server.api}/doctors/${profileId}/reviews`)).json()) as {
      items: { rating: number }[];
    };
    expect(reviews.items[0]).toMatchObject({ rating: 5 });
  }, 60_000);
});
