import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiUser,
  checkBothSizes,
  launchBrowser,
  newContext,
  signInThroughPage,
  startWebServer,
  verifiedDoctor,
  type WebServer,
} from './helpers/browser.ts';
import { uniqueName } from './helpers/services.ts';

/**
 * The patient's pages in a real browser: search → doctor page with the slot grid in the patient's
 * own zone, live over the WebSocket (a slot booked elsewhere vanishes without a reload), a booking
 * made with the keyboard alone through the sandbox payment, a stale slot's 409 refreshing the grid,
 * pay → confirmed → my appointments → cancel with the refund shown first, Hindi, the retry when
 * the API is unreachable, a review of a completed consultation; axe + phone width on every page.
 */
let server: WebServer;
let browser: Browser;
let patientContext: BrowserContext;
let otherPatient: ApiUser;
const patient = {
  name: 'Meera Iyer',
  email: `${uniqueName('meera')}@example.test`.toLowerCase(),
  password: 'a long password',
};

type Slot = { id: string; startsAt: string; mode: string };

beforeAll(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  otherPatient = await ApiUser.register(server, 'patient', 'Ravi Kumar');
  // The patient who uses the pages signs up on the register page, once; other contexts sign in.
  patientContext = await newContext(browser);
  const page = await patientContext.newPage();
  await page.goto(`${server.url}/register`);
  await page.getByLabel('Full name').fill(patient.name);
  await page.getByLabel('E-mail').fill(patient.email);
  await page.getByLabel('Password').fill(patient.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('link', { name: 'My appointments' }).waitFor();
  await page.close();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openSlots(profileId: string): Promise<Slot[]> {
  const res = await fetch(`${server.api}/doctors/${profileId}/slots`);
  return ((await res.json()) as { items: Slot[] }).items;
}

const bookViaApi = (who: ApiUser, slot: Slot) =>
  who.call<{ id: string; payment: { id: string } }>(
    'POST',
    '/appointments',
    { slotId: slot.id, mode: 'video' },
    { 'idempotency-key': randomUUID() },
  );

const slotButton = (page: Page, slot: Slot) => page.locator(`button[data-slot-id="${slot.id}"]`);

/** Clicks through the day buttons until the slot's button shows. */
async function showSlot(page: Page, slot: Slot) {
  const days = page.getByRole('group', { name: 'Day' }).getByRole('button');
  await days.first().waitFor();
  for (let i = 0; i < (await days.count()); i++) {
    if (await slotButton(page, slot).isVisible()) return;
    await days.nth(i).click();
  }
  await slotButton(page, slot).waitFor();
}

/** Presses Tab until the focused element satisfies `test` (keyboard only). */
async function tabTo(page: Page, test: string) {
  for (let i = 0; i < 200; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate<boolean>(test)) return;
  }
  throw new Error(`Tab never reached ${test}`);
}

const hhmm = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, hour: 'numeric', minute: '2-digit', hour12: true })
    .formatToParts(new Date(iso))
    .filter((p) => p.type === 'hour' || p.type === 'minute')
    .map((p) => p.value)
    .join(':');

describe('patient pages', () => {
  it('search → doctor page: slots in the patient’s zone, and a slot booked elsewhere vanishes live', async () => {
    const name = `Dr. Kavya ${uniqueName('x').slice(-6)}`;
    const { profileId } = await verifiedDoctor(server, { name });
    const context = await newContext(browser, { timezoneId: 'America/New_York' });
    const page = await context.newPage();
    await page.goto(server.url);
    await checkBothSizes(page, 'patient-search');
    await page.getByLabel('Name, condition or speciality').fill(name);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    await page.getByText('Times are in your time zone (America/New_York).').waitFor();
    await page.getByText(/The doctor’s time zone is Asia\/Kolkata/).waitFor();

    const slots = await openSlots(profileId);
    const target = slots[3]!;
    await showSlot(page, target);
    const shown = (await slotButton(page, target).textContent()) ?? '';
    expect(shown.match(/\d{1,2}:\d{2}/)?.[0]).toBe(hhmm(target.startsAt, 'America/New_York'));

    await bookViaApi(otherPatient, target);
    await slotButton(page, target).waitFor({ state: 'detached', timeout: 5000 });
    await page.getByRole('status').filter({ hasText: 'is no longer available' }).waitFor();
    await context.close();
  }, 90_000);

  it('books and pays with the keyboard alone', async () => {
    const { profileId } = await verifiedDoctor(server, { name: 'Dr. Keyboard Rao' });
    const page = await patientContext.newPage();
    await page.goto(`${server.url}/doctors/${profileId}`);
    await page.getByRole('heading', { level: 1, name: 'Dr. Keyboard Rao' }).waitFor();
    await page.locator('button[data-slot-id]').first().waitFor();
    await checkBothSizes(page, 'patient-doctor');

    await tabTo(page, `!!document.activeElement?.getAttribute('data-slot-id')`);
    await page.keyboard.press('Enter');
    await tabTo(page, `document.activeElement?.tagName === 'TEXTAREA'`);
    await page.keyboard.type('Acidity for three weeks');
    await tabTo(page, `document.activeElement?.textContent === 'Book and go to payment'`);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/appointments\/[0-9a-f-]+\/pay$/);
    await page.getByText('We hold this time for you until').waitFor();
    await tabTo(page, `document.activeElement?.textContent === 'Pay (succeeds)'`);
    await page.keyboard.press('Space');
    await page.getByText('Your appointment is confirmed.').waitFor({ timeout: 15_000 });
    await page.close();
  }, 90_000);

  it('a slot taken before the page heard of it: 409, says so, and the grid refreshes', async () => {
    const { profileId } = await verifiedDoctor(server, { name: 'Dr. Stale Slot' });
    const page = await patientContext.newPage();
    // The socket is cut (a silent stand-in), so the page can't learn of the booking but by the 409.
    await page.routeWebSocket(/\/ws\/availability/, () => {});
    await page.goto(`${server.url}/doctors/${profileId}`);
    const target = (await openSlots(profileId))[2]!;
    await showSlot(page, target);
    await slotButton(page, target).click();
    await bookViaApi(otherPatient, target);
    await page.getByRole('button', { name: 'Book and go to payment' }).click();
    await page.getByRole('alert').filter({ hasText: 'that time was just taken' }).waitFor();
    await slotButton(page, target).waitFor({ state: 'detached', timeout: 5000 });
    expect(page.url()).toContain(`/doctors/${profileId}`);
    await page.close();
  });

  it('pay → confirmed → upcoming in my appointments → rescheduled → cancel with the refund shown first', async () => {
    const { profileId } = await verifiedDoctor(server, { name: 'Dr. Refund Shah' });
    const far = (await openSlots(profileId)).filter(
      (s) => Date.parse(s.startsAt) > Date.now() + 36 * 3600_000,
    );
    const [later, moved] = [far[0]!, far[1]!];
    const page = await patientContext.newPage();
    await page.goto(`${server.url}/doctors/${profileId}`);
    await showSlot(page, later);
    await slotButton(page, later).click();
    await page.getByRole('button', { name: 'Book and go to payment' }).click();
    await page.waitForURL(/\/pay$/);
    await page.getByText('₹500.00', { exact: true }).waitFor();
    await checkBothSizes(page, 'patient-pay');
    await page.getByRole('button', { name: 'Pay (succeeds)' }).click();
    await page.getByText('Your appointment is confirmed.').waitFor({ timeout: 15_000 });

    await page.getByRole('link', { name: 'My appointments' }).click();
    const upcoming = page.getByRole('region', { name: 'Upcoming' });
    const row = upcoming.getByRole('listitem').filter({ hasText: 'Dr. Refund Shah' });
    await row.getByText('Confirmed').waitFor();
    await checkBothSizes(page, 'patient-appointments');

    await row.getByRole('link', { name: /Details/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Appointment' }).waitFor();
    await page.getByText(/The video room opens at/).waitFor();
    await checkBothSizes(page, 'patient-appointment');
    await page.getByRole('button', { name: 'Move to another time' }).click();
    await showSlot(page, moved);
    await slotButton(page, moved).click();
    await page.getByRole('button', { name: 'Move the appointment' }).click();
    await page.getByText(/^Moved to /).waitFor();
    await page.getByRole('button', { name: 'Cancel appointment' }).click();
    await page.getByText('You will get back ₹500.00.').waitFor();
    await page.getByLabel(/Why are you cancelling/).fill('Travelling that week');
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await page.getByText('₹500.00 is on its way back to you.').waitFor();
    await page.getByText('Cancelled', { exact: true }).waitFor();
    await page.close();
  }, 90_000);

  it('speaks Hindi: Devanagari words, hi-IN money and dates', async () => {
    const { profileId } = await verifiedDoctor(server, { name: 'Dr. Hindi Verma' });
    const context = await newContext(browser, { locale: 'hi' });
    const page = await context.newPage();
    await page.goto(`${server.url}/doctors/${profileId}`);
    await page.getByRole('heading', { name: 'परामर्श बुक करें' }).waitFor();
    const first = (await openSlots(profileId))[0]!;
    const [fee, day] = await page.evaluate(
      ([iso]) => [
        new Intl.NumberFormat('hi-IN', { style: 'currency', currency: 'INR' }).format(500),
        new Intl.DateTimeFormat('hi-IN', {
          timeZone: 'Asia/Kolkata',
          weekday: 'long',
          day: 'numeric',
          month: 'long',
        }).format(new Date(iso ?? '')),
      ],
      [first.startsAt],
    );
    await page
      .getByText(fee ?? '')
      .first()
      .waitFor();
    await page.getByRole('heading', { name: `${day} को खाली समय` }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('hi');
    await context.close();
  });

  it('offline or a failing API: the search page offers a retry that works', async () => {
    const context = await newContext(browser, { phone: true });
    const page = await context.newPage();
    const doctors = /\/api\/v1\/doctors(\?|$)/;
    await page.route(doctors, (route) => route.abort('internetdisconnected'));
    await page.goto(server.url);
    const alert = page.getByRole('alert').filter({ hasText: 'You seem to be offline' });
    await alert.waitFor({ timeout: 15_000 });
    await page.unroute(doctors);
    await alert.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('link', { name: 'Dr. Keyboard Rao' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await context.close();
  });

  it('reviews a completed consultation', async () => {
    // A doctor whose schedule is half a day away, plus one slot by hand starting in 2 minutes.
    const away = new Date(Date.now() + (12 * 60 + 330) * 60_000);
    const hour = String(away.getUTCHours()).padStart(2, '0');
    const { doctor, profileId } = await verifiedDoctor(server, {
      name: 'Dr. Review Nair',
      start: `${hour}:00`,
      end: `${hour}:30`,
    });
    const start = new Date(Math.ceil((Date.now() + 120_000) / 60_000) * 60_000);
    await doctor.call('POST', '/doctors/me/slots', {
      slots: [
        {
          startsAt: start.toISOString(),
          endsAt: new Date(+start + 30 * 60_000).toISOString(),
          mode: 'video',
        },
      ],
    });
    const slot = (await openSlots(profileId)).find((s) => s.startsAt === start.toISOString())!;
    // A patient of their own (the first one's bookings overlap this slot), signed in on the login page.
    const me = await ApiUser.register(server, 'patient', 'Anita Desai');
    const booked = await bookViaApi(me, slot);
    await me.call('POST', `/payments/${booked.payment.id}/checkout`);
    await me.call('POST', `/payments/${booked.payment.id}/sandbox/succeed`);
    await expect
      .poll(async () => (await me.call<{ status: string }>('GET', `/appointments/${booked.id}`)).status, {
        timeout: 15_000,
      })
      .toBe('confirmed');
    await doctor.call('POST', `/appointments/${booked.id}/start`);
    await doctor.call('POST', `/appointments/${booked.id}/complete`);

    const context = await newContext(browser);
    const page = await context.newPage();
    await signInThroughPage(page, server, me.email, me.password);
    await page.getByRole('link', { name: 'My appointments' }).waitFor();
    await page.goto(`${server.url}/appointments/${booked.id}`);
    await page.getByRole('heading', { name: 'Rate your consultation' }).waitFor();
    await page.getByLabel('5 of 5').check();
    await page.getByLabel(/Your review/).fill('Listened carefully.');
    await page.getByRole('button', { name: 'Send review' }).click();
    await page.getByText('Thank you for your review.').waitFor();
    const profile = (await (await fetch(`${server.api}/doctors/${profileId}`)).json()) as { rating: unknown };
    expect(profile.rating).toEqual({ average: 5, count: 1 });
    await context.close();
  });
});
