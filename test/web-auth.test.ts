import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../src/modules/auth/totp.ts';
import {
  ApiUser,
  checkBothSizes,
  launchBrowser,
  newContext,
  signInThroughPage,
  startWebServer,
  type WebServer,
} from './helpers/browser.ts';
import { uniqueName } from './helpers/services.ts';

/**
 * Signing in from a real browser: the account made on the page, the refresh cookie (HttpOnly,
 * SameSite=Strict, auth path only) surviving a reload while no token is readable by scripts, MFA
 * enrolment, the MFA step with a TOTP code and with a recovery code, errors in words, and the SPA
 * fallback that never answers the API's paths with HTML.
 */
let server: WebServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const email = `${uniqueName('meera')}@example.test`.toLowerCase();
const password = 'a long password';
let secret = '';
let recoveryCodes: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  context = await newContext(browser);
  page = await context.newPage();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const signOut = () => page.getByRole('button', { name: 'Sign out' }).click();

describe('accounts in the browser', () => {
  it('creates an account on the page and signs it in', async () => {
    await page.goto(`${server.url}/register`);
    await checkBothSizes(page, 'account-register');
    await page.getByLabel('Full name').fill('Meera Iyer');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'My appointments' }).count()).toBe(1);
  });

  it('keeps the refresh token in an HttpOnly, SameSite=Strict cookie on the auth path, and no token where scripts can read', async () => {
    const cookies = await context.cookies(`${server.url}/api/v1/auth/refresh`);
    const refresh = cookies.find((c) => c.name === 'amrutam_refresh');
    expect(refresh).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });
    const readable = await page.evaluate<string>(
      'JSON.stringify([document.cookie, {...localStorage}, {...sessionStorage}])',
    );
    expect(readable).not.toContain(refresh!.value);
    expect(readable).not.toMatch(/eyJ[\w-]+\.[\w-]+/); // no JWT
  });

  it('stays signed in across a reload (the cookie restores the session)', async () => {
    await page.reload();
    await expect.poll(() => page.getByRole('link', { name: 'My appointments' }).count()).toBe(1);
  });

  it('the language switch changes the page and the account’s language (its mails)', async () => {
    const account = await ApiUser.login(server, email, password);
    expect((await account.call<{ locale: string }>('GET', '/me')).locale).toBe('en');
    await page.getByRole('banner').getByLabel('Language').selectOption('hi');
    await page.getByRole('link', { name: 'मेरी अपॉइंटमेंट' }).waitFor();
    await expect.poll(async () => (await account.call<{ locale: string }>('GET', '/me')).locale).toBe('hi');
    await page.getByRole('banner').getByLabel('भाषा').selectOption('en');
    await page.getByRole('link', { name: 'My appointments' }).waitFor();
  });

  it('enrols MFA on the account page and shows the recovery codes once', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    secret = (await page.getByTestId('mfa-secret').textContent())!.trim();
    await page.getByLabel('Code').fill(totpCodeAt(secret, new Date()));
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByTestId('recovery-codes').waitFor();
    recoveryCodes = (await page.getByTestId('recovery-codes').locator('li').allTextContents()).map((c) =>
      c.trim(),
    );
    expect(recoveryCodes.length).toBeGreaterThanOrEqual(8);
    await checkBothSizes(page, 'account-recovery-codes');
    await page.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => page.getByText('Two-step verification is on.').count()).toBe(1);
  });

  it('signs in with the MFA step and a code from the app', async () => {
    await signOut();
    await signInThroughPage(page, server, email, password);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await checkBothSizes(page, 'account-mfa-step');
    // The enrolment used this step's code; a code is good once, so take the next step's (±1 step window).
    await page.getByLabel('Code').fill(totpCodeAt(secret, new Date(Date.now() + 30_000)));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'My appointments' }).count()).toBe(1);
  });

  it('signs in with a recovery code instead, once', async () => {
    await signOut();
    await signInThroughPage(page, server, email, password);
    await page.getByLabel('Code').fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'My appointments' }).count()).toBe(1);
    await signOut();
    await signInThroughPage(page, server, email, password);
    await page.getByLabel('Code').fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.getByRole('alert').count()).toBe(1);
  });

  it('says what is wrong with a wrong password, in words', async () => {
    await signInThroughPage(page, server, email, 'not the password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/email or password/i);
    await checkBothSizes(page, 'account-login-error');
  });

  it('after signing out, the cookie no longer signs anyone in', async () => {
    await page.goto(`${server.url}/appointments`);
    await expect.poll(() => page.getByText('Please sign in to continue.').count()).toBe(1);
  });
});

describe('the app beside the API', () => {
  it('a page whose code can’t be fetched (offline) shows a retry, never a blank page', async () => {
    await page.goto(server.url);
    await page.route('**/assets/register-*.js', (route) => route.abort('internetdisconnected'));
    await page.getByRole('link', { name: 'Create account' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'You seem to be offline' });
    await alert.getByRole('button', { name: 'Try again' }).waitFor();
    await page.unroute('**/assets/register-*.js');
    await alert.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  });

  it('answers any app path with the app, and the API’s paths never with HTML', async () => {
    const deep = await fetch(`${server.url}/doctors/00000000-0000-4000-8000-000000000000`);
    expect(deep.headers.get('content-type')).toMatch(/text\/html/);
    expect(deep.headers.get('content-security-policy')).toContain("default-src 'self'");
    for (const path of ['/api/v1/nope', '/api-docs/nope', '/assets/nope.js', '/.well-known/nope']) {
      const res = await fetch(`${server.url}${path}`);
      expect([path, res.status, res.headers.get('content-type')]).toEqual([
        path,
        404,
        'application/problem+json; charset=utf-8',
      ]);
    }
    await page.goto(`${server.url}/no/such/page`);
    await expect.poll(() => page.getByRole('heading', { name: 'This page does not exist.' }).count()).toBe(1);
  });
});
