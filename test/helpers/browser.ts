/**
 * Browser tests' harness: a real server process (the same `src/server.ts` users run, background
 * jobs included) on its own PostgreSQL database and Redis prefix, Debian's Chromium driven by
 * playwright-core, and the checks every page must pass (no serious axe violation, no horizontal
 * scroll at 390×844) with screenshots in test-results/. Setup that isn't under test goes through
 * the HTTP API (`ApiUser`), exactly as an app developer would call it.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { freePort, run, waitForReady } from './process.ts';
import { createTestDatabase, REDIS_URL, uniqueName } from './services.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results');
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 900 } as const;
export const ADMIN = { email: 'ops@example.test', password: 'admin password 1' } as const;

export interface WebServer {
  url: string;
  api: string;
  close(): Promise<void>;
}

/** `src/server.ts` serving the built web app at `/`, on real PostgreSQL + Redis, real time. */
export async function startWebServer(env: Record<string, string> = {}): Promise<WebServer> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'amrutam-web-'));
  const port = await freePort();
  const proc = run('src/server.ts', [], {
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${uniqueName('web')}:`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_PER_MINUTE: '100000',
    LOGIN_MAX_FAILURES_PER_IP: '100000',
    ...env,
  });
  // localhost, not 127.0.0.1: the page's origin is what a user types.
  const url = `http://localhost:${port}`;
  await waitForReady(`${url}/readyz`, proc);
  return {
    url,
    api: `${url}/api/v1`,
    async close() {
      proc.child.kill('SIGTERM');
      await proc.exit;
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A browser context as a person on a phone (or a desktop) in a locale and time zone. */
export async function newContext(
  browser: Browser,
  options: { phone?: boolean; locale?: 'en' | 'hi'; timezoneId?: string } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: options.phone ? PHONE : DESKTOP,
    isMobile: options.phone ?? false,
    hasTouch: options.phone ?? false,
    locale: options.locale === 'hi' ? 'hi-IN' : 'en-IN',
    timezoneId: options.timezoneId ?? 'Asia/Kolkata',
  });
  if (options.locale) {
    await context.addInitScript((locale) => localStorage.setItem('amrutam.locale', locale), options.locale);
  }
  await recordCspViolations(context);
  return context;
}

/** From now on, every page of `context` notes what its Content-Security-Policy blocked (see cspViolations). */
export async function recordCspViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript(`
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      window.cspViolations.push(event.effectiveDirective + ' blocked ' + (event.blockedURI || 'inline')));
  `);
}

/** What the page's Content-Security-Policy blocked so far (a context set up by recordCspViolations). */
export const cspViolations = (page: Page) => page.evaluate<string[]>('window.cspViolations ?? []');

/**
 * The checks every page passes: nothing blocked by its Content-Security-Policy, no serious or
 * critical axe violation, no horizontal scroll at the current viewport; and a screenshot
 * `test-results/<name>.png`.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  const blocked = await cspViolations(page);
  if (blocked.length > 0) throw new Error(`${name}: the Content-Security-Policy ${blocked.join('; ')}`);
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length > 0) {
    const lines = serious.map(
      (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    throw new Error(`axe on ${name}:\n${lines.join('\n')}`);
  }
  const overflow = await page.evaluate<number>(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
  if (overflow > 0)
    throw new Error(`${name}: scrolls sideways by ${overflow} px at ${JSON.stringify(page.viewportSize())}`);
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Runs `check` at desktop size and at 390×844 (the phone), screenshots named `<name>-desktop|phone`. */
export async function checkBothSizes(page: Page, name: string): Promise<void> {
  const original = page.viewportSize();
  await page.setViewportSize(DESKTOP);
  await checkPage(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await checkPage(page, `${name}-phone`);
  if (original) await page.setViewportSize(original);
}

/** A signed-in user of the API for setup: `call('POST', '/appointments', body, {headers})`. */
export class ApiUser {
  readonly server: WebServer;
  readonly id: string;
  readonly email: string;
  readonly password: string;
  private readonly accessToken: string;
  constructor(server: WebServer, id: string, email: string, password: string, accessToken: string) {
    this.server = server;
    this.id = id;
    this.email = email;
    this.password = password;
    this.accessToken = accessToken;
  }

  async call<T = Record<string, unknown>>(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await fetch(`${this.server.api}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${this.accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  static async login(server: WebServer, email: string, password: string): Promise<ApiUser> {
    const res = await fetch(`${server.api}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw new Error(`login ${email} → ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { accessToken: string; user: { id: string } };
    return new ApiUser(server, body.user.id, email, password, body.accessToken);
  }

  static async register(
    server: WebServer,
    role: 'patient' | 'doctor',
    name = role === 'doctor' ? 'Dr. Asha Rao' : 'Meera Iyer',
  ): Promise<ApiUser> {
    const email = `${uniqueName(role)}@example.test`.toLowerCase();
    const password = 'a long password';
    const res = await fetch(`${server.api}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, name, role }),
    });
    if (res.status !== 201) throw new Error(`register → ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { accessToken: string; user: { id: string } };
    return new ApiUser(server, body.user.id, email, password, body.accessToken);
  }
}

export const adminOf = (server: WebServer) => ApiUser.login(server, ADMIN.email, ADMIN.password);

/**
 * A verified doctor with a profile and (unless `schedule: false`) a schedule every day from `start` to `end` (their zone,
 * Asia/Kolkata), 30-minute video slots for `horizonDays`: bookable at once.
 */
export async function verifiedDoctor(
  server: WebServer,
  options: {
    name?: string;
    start?: string;
    end?: string;
    horizonDays?: number;
    feeMinor?: number;
    /** false: no schedule (the test publishes one on the page). */
    schedule?: boolean;
  } = {},
): Promise<{ doctor: ApiUser; profileId: string }> {
  const doctor = await ApiUser.register(server, 'doctor', options.name ?? 'Dr. Asha Rao');
  await doctor.call('PUT', '/doctors/me', {
    registrationNumber: `NCISM/AY/${uniqueName('r').slice(-8)}`,
    council: 'NCISM',
    specializations: ['kayachikitsa'],
    languages: ['hi', 'en'],
    feeMinor: options.feeMinor ?? 50000,
    modes: ['video'],
    timezone: 'Asia/Kolkata',
    bio: 'Kayachikitsa physician',
  });
  const rules = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({
    weekday,
    start: options.start ?? '00:00',
    end: options.end ?? '23:30',
    slotMinutes: 30,
    mode: 'video',
  }));
  if (options.schedule !== false) {
    await doctor.call('PUT', '/doctors/me/schedule', { rules, horizonDays: options.horizonDays ?? 3 });
  }
  const { id: profileId } = await doctor.call<{ id: string }>('GET', '/doctors/me');
  const admin = await adminOf(server);
  await admin.call('POST', `/admin/doctors/${profileId}/verify`, { status: 'verified' });
  return { doctor, profileId };
}

/** Signs in through the login page (the MFA step is the caller's). */
export async function signInThroughPage(page: Page, server: WebServer, email: string, password: string) {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
