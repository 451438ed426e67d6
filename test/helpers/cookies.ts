import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/**
 * Reading cookie mode's answers (src/modules/auth/cookie-session.ts): the `amrutam_refresh`
 * Set-Cookie, and the checks every cookie-mode session answer must pass. The refresh token lives
 * REFRESH_TOKEN_TTL_DAYS (30 by default): the cookie's Max-Age.
 */

const THIRTY_DAYS = 30 * 86_400;

/** The one Set-Cookie of an answer, as attribute name (lower case) → value. */
export function setCookieOf(res: LightMyRequestResponse): Map<string, string> {
  const header = res.headers['set-cookie'];
  expect(typeof header, 'one Set-Cookie').toBe('string');
  const [pair, ...attributes] = String(header).split('; ');
  const [name, value] = pair!.split('=') as [string, string];
  expect(name).toBe('amrutam_refresh');
  return new Map([
    ['value', value],
    ...attributes.map((a): [string, string] => [a.split('=')[0]!.toLowerCase(), a.split('=')[1] ?? '']),
  ]);
}

/** A session answer set a refresh cookie with every attribute and left the token out of its body: the cookie's value. */
export function expectCookieSession(res: LightMyRequestResponse): string {
  expect(res.statusCode, res.body).toBeOneOf([200, 201]);
  const cookie = setCookieOf(res);
  expect([...cookie.keys()].sort()).toEqual(['httponly', 'max-age', 'path', 'samesite', 'secure', 'value']);
  expect(cookie.get('path')).toBe('/api/v1/auth');
  expect(cookie.get('samesite')).toBe('Strict');
  expect(cookie.get('max-age')).toBe(String(THIRTY_DAYS));
  expect(cookie.get('value')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const body = res.json();
  expect(body).not.toHaveProperty('refreshToken');
  expect(body).toMatchObject({ accessToken: expect.any(String), expiresIn: 900 });
  return cookie.get('value')!;
}

export function expectCleared(res: LightMyRequestResponse): void {
  const cookie = setCookieOf(res);
  expect(cookie.get('value')).toBe('');
  expect(cookie.get('max-age')).toBe('0');
  expect(cookie.get('path')).toBe('/api/v1/auth');
}
