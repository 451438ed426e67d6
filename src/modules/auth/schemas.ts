import { z } from 'zod';

export const emailSchema = z.email().max(254);
export const passwordSchema = z.string().min(10, 'must be at least 10 characters').max(256);
const nameSchema = z.string().trim().min(1).max(200);
const phoneSchema = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +919812345678');
const localeSchema = z.enum(['en', 'hi']).describe('The language of mails we send: en or hi');

export const registerBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: nameSchema,
  role: z.enum(['patient', 'doctor']).default('patient'),
  phone: phoneSchema.optional(),
  locale: localeSchema.optional(),
});

export const patchMeBody = z.strictObject({
  name: nameSchema.optional(),
  phone: phoneSchema.nullable().optional().describe('E.164; null removes it'),
  locale: localeSchema.optional(),
});

export const changePasswordBody = z.strictObject({
  currentPassword: z.string().max(256),
  newPassword: passwordSchema,
});

export const forgotPasswordBody = z.strictObject({ email: emailSchema });
/** The same for every address, whether or not it has an account. */
export const forgotPasswordResponse = z.object({ status: z.literal('sent') });

export const resetPasswordBody = z.strictObject({
  token: z.string().min(1).max(200).describe('The token from the reset mail'),
  newPassword: passwordSchema,
});

export const loginBody = z.strictObject({
  email: z.string().max(254),
  password: z.string().max(256),
});

export const mfaVerifyBody = z.strictObject({
  mfaToken: z.string().min(1).max(4096),
  code: z.string().min(6).max(20).describe('A 6-digit TOTP code or a recovery code'),
});

export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(200) });
export const codeBody = z.strictObject({ code: z.string().min(6).max(20) });

export const publicUserSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(['patient', 'doctor', 'admin']),
  name: z.string(),
});

const session = { accessToken: z.string(), refreshToken: z.string(), expiresIn: z.number().int() };

export const sessionSchema = z.object(session);
export const loginResponse = z.union([
  z.object({ ...session, user: publicUserSchema }),
  z.object({ mfaRequired: z.literal(true), mfaToken: z.string() }),
]);
export const registerResponse = z.object({ ...session, user: publicUserSchema });
export const meResponse = publicUserSchema.extend({
  phone: z.string().nullable(),
  locale: localeSchema,
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
  /** Doctors only: their profile, or null before PUT /doctors/me. */
  doctorProfile: z.record(z.string(), z.unknown()).nullable().optional(),
});
export const mfaSetupResponse = z.object({ secret: z.string(), otpauthUrl: z.string() });
export const mfaEnableResponse = z.object({ recoveryCodes: z.array(z.string()), ...session });
