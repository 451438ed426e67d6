import { z } from 'zod';

export const emailSchema = z.email().max(254);
export const passwordSchema = z.string().min(10, 'must be at least 10 characters').max(256);

export const registerBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: z.string().trim().min(1).max(200),
  role: z.enum(['patient', 'doctor']).default('patient'),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be E.164, e.g. +919812345678')
    .optional(),
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
  mfaEnabled: z.boolean(),
  createdAt: z.string(),
  /** Doctors only: their profile, or null before PUT /doctors/me. */
  doctorProfile: z.record(z.string(), z.unknown()).nullable().optional(),
});
export const mfaSetupResponse = z.object({ secret: z.string(), otpauthUrl: z.string() });
export const mfaEnableResponse = z.object({ recoveryCodes: z.array(z.string()), ...session });
