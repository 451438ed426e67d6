import { randomUUID } from 'node:crypto';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiUser,
  adminOf,
  checkBothSizes,
  launchBrowser,
  newContext,
  startWebServer,
  type WebServer,
} from './helpers/browser.ts';
import { uniqueName } from './helpers/services.ts';

/**
 * The doctor pages in a real browser: a doctor signs up on the register page, fills the profile
 * (a negative fee first: the API's 400 is shown), the weekly schedule (end before start first:
 * the 400 again) with an override, sees the server's slots, adds and removes one; an admin
 * verifies; a patient books and pays through the API; the calendar shows the booking by day and by
 * week; the consultation is started, noted, prescribed (first refused in words while the patient
 * lacks a date of birth) and completed. The start window is widened so the next slot can start.
 */
const ZONE = 'Asia/Kolkata';
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const PATIENT_NAME = 'Meera Iyer';

let server: WebServer;
let browser: Browser;
let page: Page;
const doctorEmail = `${uniqueName('doc')}@example.test`.toLowerCase();
const doctorPassword = 'a long password';
let doctor: ApiUser;
let patient: ApiUser;
let appointmentId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startWebServer({ CONSULTATION_START_EARLY_MINUTES: '120', ROOM_OPENS_MINUTES_BEFORE: '120' }),
    launchBrowser(),
  ]);
  page = await (await newContext(browser, { timezoneId: ZONE })).newPage();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A date in the doctor's zone, `plusDays` after today. */
const dateIn = (plusDays = 0, from = Date.now()) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(from + plusDays * 86_400_000));
const weekdayOf = (date: string) => WEEKDAYS[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7] ?? '';
const status = (text: string | RegExp) => page.getByRole('status').filter({ hasText: text });
const alert = () => page.getByRole('alert');
const weekday = (name: string) => page.getByRole('group', { name, exact: true });

async function setHours(row: Locator, from: string, until: string) {
  await row.getByLabel('From').last().fill(from);
  await row.getByLabel('Until').last().fill(until);
}

describe('doctor pages in the browser', () => {
  it('signs up, fills the profile (a negative fee shows the API’s 400), and a reload shows it', async () => {
    await page.goto(`${server.url}/register`);
    await page.getByLabel('Full name').fill('Dr. Kavya Menon');
    await page.getByLabel('E-mail').fill(doctorEmail);
    await page.getByLabel('Password').fill(doctorPassword);
    await page.getByLabel('Doctor').check();
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    await status('You have no profile yet').waitFor();

    await page.getByLabel('Registration number').fill(`NCISM/AY/${uniqueName('r').slice(-8)}`);
    await page.getByLabel('Registering council').selectOption('NCISM');
    await page.getByRole('checkbox', { name: 'Kayachikitsa (internal medicine)', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Panchakarma (detoxification)', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Hindi', exact: true }).check();
    await page.getByRole('checkbox', { name: 'English', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Audio', exact: true }).check();
    await page.getByLabel('Consultation fee (₹)').fill('-5');
    await page.getByLabel('Your time zone').selectOption(ZONE);
    await page.getByLabel('Years of experience').fill('12');
    await page.getByLabel('About you').fill('Kayachikitsa physician in Kochi; digestive disorders.');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => alert().textContent()).toMatch(/feeMinor/);

    await page.getByLabel('Consultation fee (₹)').fill('650');
    await page.getByRole('button', { name: 'Save' }).click();
    await status('Profile saved.').waitFor();
    await page.getByText('Waiting for review').waitFor();
    await expect.poll(() => alert().count()).toBe(0);

    await page.reload();
    await page.getByText('Waiting for review').waitFor();
    expect(await page.getByLabel('Consultation fee (₹)').inputValue()).toBe('650');
    expect(
      await page.getByRole('checkbox', { name: 'Panchakarma (detoxification)', exact: true }).isChecked(),
    ).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Audio', exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('Registering council').inputValue()).toBe('NCISM');
    await checkBothSizes(page, 'doctor-profile');
    doctor = await ApiUser.login(server, doctorEmail, doctorPassword);
    const own = await doctor.call<{ feeMinor: number; timezone: string }>('GET', '/doctors/me');
    expect(own).toMatchObject({ feeMinor: 65000, timezone: ZONE });
  }, 90_000);

  it('edits the schedule (end before start shows the 400), saves; once verified, previews the server’s slots', async () => {
    const today = dateIn(0);
    const tomorrow = dateIn(1);
    await page.getByRole('link', { name: 'Schedule' }).click();
    await page.getByRole('heading', { name: 'Weekly schedule' }).waitFor();

    for (const date of [today, tomorrow]) {
      const day = weekday(weekdayOf(date));
      await day.getByRole('button', { name: /^Add hours on/ }).click();
    }
    // End before start: the API refuses, the page says why.
    await setHours(weekday(weekdayOf(today)), '10:00', '09:00');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => alert().textContent()).toMatch(/rules/);

    // The whole day on both weekdays, so the current half hour's next slot exists.
    await setHours(weekday(weekdayOf(today)), '00:00', '23:30');
    await setHours(weekday(weekdayOf(tomorrow)), '00:00', '23:30');
    // The day after tomorrow: other hours (10:00–12:00) instead of none.
    const overrides = page.getByRole('region', { name: 'Dates with other hours' });
    await overrides.getByRole('button', { name: 'Add a date' }).click();
    await overrides.getByLabel('Date').fill(dateIn(2));
    await overrides.getByRole('checkbox', { name: 'Day off', exact: true }).uncheck();
    await setHours(overrides, '10:00', '12:00');
    await page.getByLabel('Days ahead open for booking').fill('14');
    await page.getByRole('button', { name: 'Save' }).click();
    // Not verified yet: saved, but the server makes no slots until an admin verifies.
    await status('Schedule saved: 0 slots added, 0 removed.').waitFor();
    await status('Slots are made from your schedule once an admin has verified your profile.').waitFor();
    await expect.poll(() => alert().count()).toBe(0);
    const { id } = await doctor.call<{ id: string }>('GET', '/doctors/me');
    await (await adminOf(server)).call('POST', `/admin/doctors/${id}/verify`, { status: 'verified' });
    await expect
      .poll(async () => (await doctor.call<{ items: unknown[] }>('GET', '/doctors/me/slots')).items.length)
      .toBeGreaterThan(0);
    await page.reload();

    const preview = page.getByTestId('slot-preview');
    await expect.poll(() => preview.locator('summary').nth(1).textContent()).toContain('Slots: 47, open: 47');
    await expect.poll(() => preview.locator('summary').nth(2).textContent()).toContain('Slots: 4, open: 4');
    await expect.poll(() => preview.locator('summary').nth(3).textContent()).toContain('Slots: 0, open: 0');
    const twoDays = preview.locator('details').nth(2);
    await twoDays.locator('summary').click();
    await twoDays.getByText('10:00 am–10:30 am, Video').waitFor();
    await twoDays.getByText('Open').first().waitFor();

    // One slot by hand, three days ahead, then removed again.
    await page.getByLabel('Date', { exact: true }).last().fill(dateIn(3));
    await page.getByLabel('Start time').fill('18:00');
    await page.getByRole('button', { name: 'Add a single slot' }).click();
    await status('Slot added.').waitFor();
    const threeDays = preview.locator('details').nth(3);
    await expect.poll(() => threeDays.locator('summary').textContent()).toContain('Slots: 1, open: 1');
    await threeDays.locator('summary').click();
    await threeDays.getByRole('button', { name: /^Remove the open slot at 6:00 pm–6:30 pm/ }).click();
    await status('Slot removed.').waitFor();
    await expect.poll(() => threeDays.locator('summary').textContent()).toContain('Slots: 0, open: 0');

    await page.reload();
    await weekday(weekdayOf(today)).getByLabel('Until').waitFor();
    expect(await weekday(weekdayOf(today)).getByLabel('From').inputValue()).toBe('00:00');
    expect(
      await page.getByRole('region', { name: 'Dates with other hours' }).getByLabel('Date').inputValue(),
    ).toBe(dateIn(2));
    await checkBothSizes(page, 'doctor-schedule');

    await page.getByRole('link', { name: 'Profile' }).click();
    await page.getByText('Verified: patients can find and book you.').waitFor();
  }, 120_000);

  it('a patient books and pays: the calendar shows it by day and by week', async () => {
    patient = await ApiUser.register(server, 'patient', PATIENT_NAME);
    const { id: doctorId } = await doctor.call<{ id: string }>('GET', '/doctors/me');
    const { items } = await patient.call<{ items: { id: string; startsAt: string }[] }>(
      'GET',
      `/doctors/${doctorId}/slots`,
    );
    const slot = items.find((s) => Date.parse(s.startsAt) > Date.now() + 60_000);
    if (!slot) throw new Error('no slot to book');
    const booked = await patient.call<{ id: string; payment: { id: string } }>(
      'POST',
      '/appointments',
      { slotId: slot.id, reason: 'Acidity after meals for three weeks' },
      { 'idempotency-key': randomUUID() },
    );
    await patient.call('POST', `/payments/${booked.payment.id}/checkout`);
    await patient.call('POST', `/payments/${booked.payment.id}/sandbox/succeed`);
    await expect
      .poll(async () => (await patient.call<{ status: string }>('GET', `/appointments/${booked.id}`)).status)
      .toBe('confirmed');
    appointmentId = booked.id;
    const appointmentDate = dateIn(0, Date.parse(slot.startsAt));

    await page.getByRole('link', { name: 'Calendar' }).click();
    await page.getByRole('heading', { name: 'Appointments' }).waitFor();
    if (appointmentDate !== dateIn(0)) await page.getByRole('button', { name: 'Next day' }).click();
    const card = page.getByRole('link', { name: new RegExp(PATIENT_NAME) });
    await card.waitFor();
    expect(await card.textContent()).toContain('Confirmed');
    expect(await card.textContent()).toContain('Video');
    await checkBothSizes(page, 'doctor-calendar');

    await page.getByRole('button', { name: 'Week', exact: true }).click();
    await page.getByRole('heading', { name: /^Week of/ }).waitFor();
    await card.waitFor();
    const days = page.getByTestId('calendar').locator('section');
    expect(await days.count()).toBe(7);
    await checkBothSizes(page, 'doctor-calendar-week');
    await page.getByRole('button', { name: 'Next week' }).click();
    await page.getByText('No appointments.').first().waitFor();
    await expect.poll(() => card.count()).toBe(0);
    await page.getByRole('button', { name: 'Today' }).click();
    await page.getByRole('button', { name: 'Day', exact: true }).click();
    if (appointmentDate !== dateIn(0)) await page.getByRole('button', { name: 'Next day' }).click();
    await card.waitFor();
  }, 90_000);

  it('runs the consultation: start, room, notes, prescription (explained refusal first), complete', async () => {
    await page.getByRole('link', { name: new RegExp(PATIENT_NAME) }).click();
    await page.getByRole('heading', { name: `Consultation with ${PATIENT_NAME}` }).waitFor();
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('Confirmed');
    await page.getByText('Notes can be written once the consultation has started.').waitFor();
    await page.getByRole('button', { name: 'Start the consultation' }).click();
    await status('The consultation has started.').waitFor();
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('In progress');
    await expect.poll(() => page.getByRole('button', { name: 'Start the consultation' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Open the video room' }).click();
    const join = page.getByRole('link', { name: 'Join the call (opens in a new tab)' });
    await join.waitFor();
    expect(await join.getAttribute('href')).toMatch(/^https:\/\//);
    expect(await join.getAttribute('target')).toBe('_blank');

    await page
      .getByLabel('Notes', { exact: true })
      .fill('Vata-pitta prakriti. Acidity after meals; sleep poor.');
    await page.getByRole('button', { name: 'Save' }).click();
    await status('Notes saved (version 1).').waitFor();

    await page.getByLabel('Diagnosis', { exact: true }).fill('Amlapitta (hyperacidity)');
    const first = page.getByRole('group', { name: 'Medicine 1' });
    await first.getByLabel('Name', { exact: true }).fill('Avipattikar churna');
    await first.getByLabel('Form (tablet, churna…)', { exact: true }).fill('powder');
    await first.getByLabel('Dose', { exact: true }).fill('3 g');
    await first.getByLabel('How often', { exact: true }).fill('twice daily');
    await first.getByLabel('For how many days', { exact: true }).fill('30');
    await first.getByLabel('Instructions', { exact: true }).fill('Before food, with warm water');
    await page.getByRole('button', { name: 'Add a medicine' }).click();
    const second = page.getByRole('group', { name: 'Medicine 2' });
    await second.getByLabel('Name', { exact: true }).fill('Kamadudha rasa');
    await second.getByLabel('Dose', { exact: true }).fill('1 tablet');
    await second.getByLabel('How often', { exact: true }).fill('at night');
    await second.getByLabel('For how many days', { exact: true }).fill('14');
    await page.getByLabel('Advice', { exact: true }).fill('Avoid spicy and fried food; dinner before 8 pm.');
    await page.getByLabel('Follow-up after (days)', { exact: true }).fill('14');

    // The patient has not given a date of birth and sex yet: refused, in words.
    await page.getByRole('button', { name: 'Issue the prescription' }).click();
    await alert().filter({ hasText: 'has not given their date of birth and sex' }).waitFor();

    await patient.call('PUT', '/me/profile', { dateOfBirth: '1990-05-17', sex: 'female' });
    await page.getByRole('button', { name: 'Issue the prescription' }).click();
    await status('Prescription issued (version 1).').waitFor();
    const issued = page.getByTestId('issued-prescription');
    expect(await issued.textContent()).toContain('Avipattikar churna');
    expect(await issued.textContent()).toContain('Kamadudha rasa');
    expect(await issued.textContent()).toMatch(/Patient: Meera Iyer, \d+ years, female/);
    expect(await issued.textContent()).toContain('Follow-up after 14 days.');
    await issued.getByRole('button', { name: 'Download the PDF' }).waitFor({ timeout: 20_000 });

    await page.getByRole('button', { name: 'Complete the consultation' }).click();
    await status('The consultation is complete.').waitFor();
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('Completed');
    await expect
      .poll(() => page.getByRole('button', { name: /Start|Complete the|did not come/ }).count())
      .toBe(0);
    await checkBothSizes(page, 'doctor-consultation');

    const notes = await doctor.call<{ text: string }>('GET', `/appointments/${appointmentId}/notes`);
    expect(notes.text).toMatch(/^Vata-pitta/);
    const prescription = await patient.call<{ medicines: unknown[] }>(
      'GET',
      `/appointments/${appointmentId}/prescription`,
    );
    expect(prescription.medicines).toHaveLength(2);
  }, 90_000);
});
