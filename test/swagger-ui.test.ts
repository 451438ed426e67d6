import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cspViolations,
  DESKTOP,
  launchBrowser,
  recordCspViolations,
  SCREENSHOTS,
  startWebServer,
  type WebServer,
} from './helpers/browser.ts';

// The API reference as a developer uses it: Swagger UI at /api-docs in a real Chromium, against a
// real server. Authorize with a pasted access token, then "Try it out" on GET /api/v1/me: the page
// must send the token and show the 200 with the account. A security header (a Content-Security-
// Policy that blocks Swagger UI's inline assets, say) or a broken document would fail it here.

let server: WebServer;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('Swagger UI authorises with a bearer token and runs GET /api/v1/me', async () => {
  // Each server has its own fresh database: the address is free.
  const email = 'meera@example.com';
  const registered = await fetch(`${server.api}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'a long password', name: 'Meera Iyer' }),
  });
  expect(registered.status).toBe(201);
  const { accessToken } = (await registered.json()) as { accessToken: string };

  const context = await browser.newContext({ viewport: DESKTOP });
  await recordCspViolations(context);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${server.url}/api-docs`);

  // Authorize: the `bearer` scheme's dialog takes the token and then says it is authorised.
  await page.getByRole('button', { name: 'Authorize' }).first().click();
  const bearer = page
    .locator('.auth-container')
    .filter({ has: page.locator('h4 code', { hasText: /^bearer$/ }) });
  await bearer.getByLabel('auth-bearer-value').fill(accessToken);
  await bearer.getByRole('button', { name: 'Apply credentials' }).click();
  await bearer.getByText('Authorized').waitFor();
  await bearer.getByRole('button', { name: 'Close' }).click();

  // The operation, found by its method and path rather than Swagger UI's generated ids.
  const me = page.locator('.opblock.opblock-get').filter({ has: page.locator('[data-path="/api/v1/me"]') });
  await me.locator('.opblock-summary-control').click();
  await me.getByRole('button', { name: 'Try it out' }).click();
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url() === `${server.api}/me`),
    me.getByRole('button', { name: 'Execute' }).click(),
  ]);
  expect(request.headers().authorization).toBe(`Bearer ${accessToken}`);

  const response = me.locator('.live-responses-table .response').first();
  await response.waitFor();
  expect(await response.locator('.response-col_status').innerText()).toBe('200');
  const body = await response.locator('.response-col_description pre').first().innerText();
  expect(JSON.parse(body)).toMatchObject({ email, role: 'patient', name: 'Meera Iyer' });
  expect(pageErrors).toEqual([]);
  // Its own Content-Security-Policy (src/http/openapi/index.ts) blocks nothing it needs.
  expect(await cspViolations(page)).toEqual([]);

  // From the operation's header down to the response body: the documented responses below it are
  // the same for everyone, and long.
  await mkdir(SCREENSHOTS, { recursive: true });
  await me.scrollIntoViewIfNeeded();
  const scrollY = await page.evaluate<number>('window.scrollY');
  const top = (await me.boundingBox())!;
  const shown = (await response.locator('.highlight-code').first().boundingBox())!;
  await page.screenshot({
    path: path.join(SCREENSHOTS, 'swagger-ui.png'),
    fullPage: true,
    clip: { x: top.x, y: top.y + scrollY, width: top.width, height: shown.y + shown.height + 12 - top.y },
  });
  await context.close();
});
