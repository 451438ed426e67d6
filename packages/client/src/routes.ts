/**
 * What the wrapper knows about particular operations. Every list is checked against the generated
 * schema, so a renamed or newly keyed route breaks the type-check here instead of silently changing
 * what the client does at run time.
 */
import type { paths } from './schema.d.ts';

type PostPath = { [P in keyof paths]: paths[P] extends { post: object } ? P : never }[keyof paths];

/** POST operations whose `Idempotency-Key` header the API requires (booking, cancel, reschedule). */
type KeyedPost = {
  [P in keyof paths]: paths[P] extends { post: { parameters: { header: { 'idempotency-key': string } } } }
    ? P
    : never;
}[keyof paths];

// A Record over KeyedPost: an operation that starts (or stops) requiring the key fails the
// type-check until it is listed (or removed) here.
const keyed: Record<KeyedPost, true> = {
  '/api/v1/appointments': true,
  '/api/v1/appointments/{id}/cancel': true,
  '/api/v1/appointments/{id}/reschedule': true,
};
export const KEYED_POSTS: ReadonlySet<string> = new Set(Object.keys(keyed));

/**
 * Routes that prove who you are by other means (a password, a code, a refresh token): the session's
 * access token is not sent, and their 401 is an answer (a wrong password), never a cue to refresh.
 */
export const SIGN_IN_PATHS = [
  '/api/v1/auth/register',
  '/api/v1/auth/login',
  '/api/v1/auth/mfa/verify',
  '/api/v1/auth/refresh',
  '/api/v1/auth/password/forgot',
  '/api/v1/auth/password/reset',
] as const satisfies readonly PostPath[];

/** Answers that start a new session (JSON mode: both tokens in the body), which the client adopts. */
export const SESSION_ANSWERS: ReadonlySet<string> = new Set([
  '/api/v1/auth/register',
  '/api/v1/auth/login',
  '/api/v1/auth/mfa/verify',
  '/api/v1/auth/mfa/enable',
  '/api/v1/auth/refresh',
] satisfies PostPath[]);

export const REFRESH_PATH = '/api/v1/auth/refresh' satisfies PostPath;
export const LOGOUT_PATH = '/api/v1/auth/logout' satisfies PostPath;

type OptionalKey<Op> = Op extends { parameters: { header: infer H } }
  ? Omit<Op, 'parameters'> & {
      parameters: Omit<Op['parameters'], 'header'> & {
        header?: Omit<H, 'idempotency-key'> & { 'idempotency-key'?: string };
      };
    }
  : Op;

/**
 * The API as the wrapper takes it: the schema, with `Idempotency-Key` optional on the keyed POSTs
 * because the wrapper makes one per call when the caller doesn't pass theirs.
 */
export type ClientPaths = {
  [P in keyof paths]: P extends KeyedPost
    ? Omit<paths[P], 'post'> & { post: OptionalKey<paths[P]['post']> }
    : paths[P];
};
