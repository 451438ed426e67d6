/**
 * Every `code` a problem+json answer can carry, with what it means to a client. Codes are stable:
 * clients branch on them; the `detail` of each answer says more for a person. The OpenAPI document
 * lists, per route and status, which of these the route can answer (and a test holds every answer
 * of the suite to that list).
 */
export const PROBLEM_CODES = {
  // 400
  VALIDATION_FAILED: 'The input breaks a rule; `errors[]` names each field and says the rule',
  INVALID_JSON: 'The body is not valid JSON',
  EMPTY_BODY: 'The body is empty but JSON was declared',
  BAD_REQUEST: 'The request is malformed (e.g. Content-Length does not match the body)',
  INVALID_CURSOR: 'The cursor is not one this list gave out; start again without it',
  INVALID_RANGE: 'The upper bound of a range is not after its lower bound',
  RANGE_TOO_LARGE: 'The range is longer than this list allows',
  IDEMPOTENCY_KEY_REQUIRED: 'This write needs an `Idempotency-Key` header',
  IDEMPOTENCY_KEY_INVALID: 'The `Idempotency-Key` is not 1–255 characters of [A-Za-z0-9_.:-]',
  MODE_MISMATCH: 'The slot is for another consultation mode',
  DIFFERENT_DOCTOR: 'A reschedule must move to a slot of the same doctor',
  SLOT_IN_PAST: 'The slot starts in the past',
  SLOT_TOO_SOON: 'The slot starts within the doctor’s booking notice',
  SLOT_BEYOND_HORIZON: 'The slot starts beyond the schedule’s horizon',
  MODE_NOT_OFFERED: 'The doctor’s profile does not offer this consultation mode',
  SCHEDULE_TOO_LARGE: 'The schedule would make more slots than one schedule may',
  INVALID_MFA_CODE: 'The one-time code does not match',
  INVALID_RESET_TOKEN: 'The password-reset token is unknown, used or expired: ask for a new mail',
  WEAK_PASSWORD:
    'The new password is too easy to guess (a common password, a run like 1234567890, your e-mail or name): choose another',
  // 401
  UNAUTHORIZED: 'Sign in: send `Authorization: Bearer <access token>`',
  INVALID_TOKEN: 'The access token is not valid (or its account is gone)',
  TOKEN_EXPIRED: 'The access token expired: refresh it',
  SESSION_REVOKED: 'The session behind the access token ended (logout, password change): sign in again',
  ACCOUNT_SUSPENDED:
    'An admin suspended the account: no sign-in, refresh or access token of it works until it is reactivated',
  INVALID_CREDENTIALS: 'The e-mail or password is wrong',
  INVALID_REFRESH_TOKEN: 'The refresh token is unknown, expired or revoked',
  REFRESH_TOKEN_REUSED: 'A rotated refresh token was used again: the whole session was revoked',
  INVALID_SIGNATURE: 'The webhook signature does not verify',
  // 403
  FORBIDDEN: 'Your role may not do this',
  MFA_REQUIRED: 'Your role must enable and use MFA first',
  CSRF_HEADER_REQUIRED:
    'The refresh cookie was sent without `X-Auth-Mode: cookie`: the cookie is read only with that header',
  ROOM_NOT_OPEN: 'The video room is closed now; `opensAt` and `closesAt` say when it is open',
  // 404
  NOT_FOUND: 'It does not exist, or it is not yours',
  // 409
  EMAIL_TAKEN: 'An account with this e-mail exists',
  MFA_ALREADY_ENABLED: 'MFA is already on',
  MFA_SETUP_REQUIRED: 'Start MFA enrolment first',
  MFA_NOT_ENABLED: 'MFA is not on',
  PROFILE_REQUIRED: 'Create the doctor profile first',
  REGISTRATION_NUMBER_REQUIRED:
    'A doctor without a registration number and council can’t be verified, nor issue a prescription',
  REGISTRATION_NUMBER_TAKEN:
    'Another verified doctor holds this registration number with this council (spacing, punctuation and case aside)',
  TIMEZONE_MISMATCH: 'A schedule is kept in the profile’s time zone',
  SLOT_OVERLAP: 'The slot overlaps another of the doctor’s slots',
  SLOT_NOT_OPEN: 'Only an open slot can be removed',
  SLOT_UNAVAILABLE: 'Someone else has the slot; pick another',
  SAME_SLOT: 'The appointment is already on this slot',
  PATIENT_CONFLICT: 'You have another appointment at an overlapping time',
  TOO_MANY_HOLDS: 'Too many unpaid bookings (or one with this doctor already): pay or let one lapse',
  TOO_MANY_BOOKINGS: 'As many upcoming bookings with this doctor as one patient may have',
  HOLD_COOLDOWN: 'You let a hold on this slot lapse a moment ago; pick another or wait',
  INVALID_STATE: 'The appointment is not in a state that allows this (or it happened already)',
  TOO_LATE: 'Past the cut-off for this change',
  TOO_EARLY: 'Not yet: the window for this opens later (`opensAt` says when)',
  ALREADY_REVIEWED: 'This consultation has a review already',
  SELF_SUSPENSION: 'Admins can’t suspend their own account',
  ALREADY_SUSPENDED: 'The account is already suspended',
  NOT_SUSPENDED: 'The account is not suspended',
  CONCURRENT_UPDATE: 'Another change got there first; retry',
  NOTES_CLOSED: 'The notes’ edit window ended (it closes a set time after completion; `detail` says when)',
  PATIENT_PROFILE_INCOMPLETE:
    'The patient has not set what a prescription must state (date of birth, sex: PUT /me/profile); `detail` names it',
  IDEMPOTENCY_IN_PROGRESS: 'A request with this key is still running; retry shortly',
  // 413, 415, 422
  PAYLOAD_TOO_LARGE: 'The body is larger than the server accepts',
  UNSUPPORTED_MEDIA_TYPE: 'Send `Content-Type: application/json`',
  IDEMPOTENCY_KEY_REUSED: 'This key was used with a different request',
  // 426
  UPGRADE_REQUIRED: 'This address is a WebSocket: open it with `Upgrade: websocket`',
  // 429, 503
  RATE_LIMITED: 'Too many requests; wait `Retry-After` seconds',
  SERVICE_UNAVAILABLE: 'A dependency is down; retry after `Retry-After` seconds',
  RETRY: 'A concurrent change got in the way; retry after `Retry-After` seconds',
} as const;

export type ProblemCode = keyof typeof PROBLEM_CODES;
