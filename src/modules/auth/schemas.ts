import { z } from 'zod';
import { dateSchema, utcSchema } from '../../http/index.ts';

export const emailSchema = z
  .email()
  .max(254)
  .meta({ examples: ['meera@example.com'] });
export const passwordSchema = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(256)
  .meta({ examples: ['a long password'] })
  .describe(
    'At least 10 characters, and not easy to guess: a common password, a run like 1234567890 or qwertyuiop, one character repeated, or the e-mail or name is refused (400 WEAK_PASSWORD)',
  );
const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .meta({ examples: ['Meera Iyer'] });
const phoneSchema = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +919812345678')
  .meta({ examples: ['+919812345678'] })
  .describe('E.164');
const localeSchema = z.enum(['en', 'hi']).describe('The language of mails we send: en or hi');
const codeSchema = z
  .string()
  .min(6)
  .max(20)
  .meta({ examples: ['492039'] })
  .describe('A 6-digit TOTP code or a recovery code');
const tokenSchema = (what: string, example: string) =>
  z
    .string()
    .meta({ examples: [example] })
    .describe(what);

export const registerBody = z
  .strictObject({
    email: emailSchema,
    password: passwordSchema,
    name: nameSchema,
    role: z.enum(['patient', 'doctor']).default('patient'),
    phone: phoneSchema.optional(),
    locale: localeSchema.optional(),
  })
  .meta({ id: 'RegisterRequest' });

export const patchMeBody = z
  .strictObject({
    name: nameSchema.optional(),
    phone: phoneSchema.nullable().optional().describe('E.164; null removes it'),
    locale: localeSchema.optional(),
  })
  .meta({ id: 'AccountPatch' });

const sexSchema = z.enum(['female', 'male', 'other']).describe('As a prescription states it');
const dateOfBirthSchema = dateSchema
  .meta({ examples: ['1991-08-14'] })
  .describe('`YYYY-MM-DD`: a past date, at most 130 years ago');

export const personalDetailsBody = z
  .strictObject({ dateOfBirth: dateOfBirthSchema, sex: sexSchema })
  .meta({ id: 'PersonalDetails', description: 'What a prescription needs to say of its patient' });

export const changePasswordBody = z
  .strictObject({
    currentPassword: z
      .string()
      .max(256)
      .meta({ examples: ['a long password'] }),
    newPassword: passwordSchema.meta({ examples: ['a longer, newer password'] }),
  })
  .meta({ id: 'PasswordChangeRequest' });

export const forgotPasswordBody = z
  .strictObject({ email: emailSchema })
  .meta({ id: 'PasswordForgotRequest' });
/** The same for every address, whether or not it has an account. */
export const forgotPasswordResponse = z.object({ status: z.literal('sent') });

export const resetPasswordBody = z
  .strictObject({
    token: z
      .string()
      .min(1)
      .max(200)
      .meta({ examples: ['Zq3kP1xW0vR8eT6yU4iO2pA9sD7fG5hJ3kL1zX0cV8b'] })
      .describe('The token from the reset mail'),
    newPassword: passwordSchema,
  })
  .meta({ id: 'PasswordResetRequest' });

export const loginBody = z
  .strictObject({
    email: z
      .string()
      .max(254)
      .meta({ examples: ['meera@example.com'] }),
    password: z
      .string()
      .max(256)
      .meta({ examples: ['a long password'] }),
  })
  .meta({ id: 'LoginRequest' });

export const mfaVerifyBody = z
  .strictObject({
    mfaToken: z
      .string()
      .min(1)
      .max(4096)
      .meta({ examples: ['eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.e30.c2ln'] }),
    code: codeSchema,
  })
  .meta({ id: 'MfaVerifyRequest' });

/** In cookie mode `{}`, or no body at all (session-routes.ts reads that as `{}`). */
export const refreshBody = z
  .strictObject({
    refreshToken: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ examples: ['kJ8f2nQ0xY5rT1uW7zA3bC6dE9gH4iL2mN0oP5qR8sV'] })
      .describe('Required in JSON mode; in cookie mode leave it out: the `amrutam_refresh` cookie has it'),
  })
  .meta({ id: 'RefreshRequest' });

/** The header that selects cookie mode (cookie-session.ts). */
export const authModeHeaders = z.object({
  'x-auth-mode': z
    .string()
    .optional()
    .meta({ examples: ['cookie'] })
    .describe(
      '`cookie` (any letter case) for browsers: the refresh token goes into the HttpOnly `amrutam_refresh` cookie (Path=/api/v1/auth, SameSite=Strict), not the body, and is read from it. Anything else, or none: JSON mode',
    ),
});
export const codeBody = z.strictObject({ code: codeSchema }).meta({ id: 'MfaCodeRequest' });

export const publicUserSchema = z
  .object({
    id: z.uuid(),
    email: z.string().meta({ examples: ['meera@example.com'] }),
    role: z.enum(['patient', 'doctor', 'admin']),
    name: z.string().meta({ examples: ['Meera Iyer'] }),
  })
  .meta({ id: 'User' });

const session = {
  accessToken: tokenSchema(
    'Send as `Authorization: Bearer <accessToken>`',
    'eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.e30.c2ln',
  ),
  refreshToken: tokenSchema(
    'For POST /auth/refresh; changes on every use. Absent in cookie mode (`X-Auth-Mode: cookie`): the `amrutam_refresh` cookie has it',
    'kJ8f2nQ0xY5rT1uW7zA3bC6dE9gH4iL2mN0oP5qR8sV',
  ).optional(),
  expiresIn: z
    .number()
    .int()
    .meta({ examples: [900] })
    .describe('Seconds the access token lives'),
};

export const sessionSchema = z.object(session).meta({ id: 'Session' });
export const registerResponse = z
  .object({ ...session, user: publicUserSchema })
  .meta({ id: 'SignedIn', description: 'A new session and who it is for' });
export const loginResponse = z.union([
  registerResponse,
  z
    .object({
      mfaRequired: z.literal(true),
      mfaToken: tokenSchema(
        'Send with a code to POST /auth/mfa/verify (5 minutes)',
        'eyJhbGciOiJFZERTQSJ9.e30.c2ln',
      ),
    })
    .meta({ id: 'MfaChallenge' }),
]);
export const meResponse = publicUserSchema
  .extend({
    phone: z
      .string()
      .nullable()
      .meta({ examples: ['+919812345678'] }),
    locale: localeSchema,
    dateOfBirth: dateOfBirthSchema.nullable().describe('Null until set with PUT /me/profile'),
    sex: sexSchema.nullable().describe('Null until set with PUT /me/profile'),
    mfaEnabled: z.boolean(),
    createdAt: utcSchema,
    /** Doctors only: their profile, or null before PUT /doctors/me. */
    doctorProfile: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .meta({ examples: [null] })
      .describe('Doctors only: their own profile (as GET /doctors/me), or null before they made one'),
  })
  .meta({ id: 'Account' });
export const mfaSetupResponse = z
  .object({
    secret: z
      .string()
      .meta({ examples: ['JBSWY3DPEHPK3PXP'] })
      .describe('Base32, for manual entry'),
    otpauthUrl: z
      .string()
      .meta({
        examples: ['otpauth://totp/Amrutam:meera%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Amrutam'],
      })
      .describe('Show as a QR code'),
  })
  .meta({ id: 'MfaSetup' });
export const mfaEnableResponse = z
  .object({
    recoveryCodes: z
      .array(z.string().meta({ examples: ['7f3k-9q2m'] }))
      .describe('Shown once: each signs in once without the device'),
    ...session,
  })
  .meta({ id: 'MfaEnabled' });
