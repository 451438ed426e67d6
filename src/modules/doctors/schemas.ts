import { z } from 'zod';
import { cursorSchema, limitSchema } from '../../http/index.ts';
import { isValidTimeZone } from '../availability/timezone.ts';
import { COUNCILS, LANGUAGES, MODES, SPECIALIZATION_SLUGS } from './reference.ts';

export const timezoneSchema = z
  .string()
  .max(64)
  .refine(isValidTimeZone, 'must be an IANA time zone, e.g. Asia/Kolkata');
export const modeSchema = z.enum(MODES);
const specialization = z.enum(SPECIALIZATION_SLUGS as [string, ...string[]]);
const language = z.enum(LANGUAGES);

const profileFields = {
  registrationNumber: z.string().trim().min(1).max(64).nullable(),
  council: z.enum(COUNCILS).nullable(),
  specializations: z.array(specialization).max(14),
  languages: z.array(language).max(14),
  feeMinor: z.number().int().min(0).max(100_000_000).describe('In minor units: paise for INR (50000 = ₹500)'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  modes: z.array(modeSchema).min(1).max(3),
  bio: z.string().max(5000),
  timezone: timezoneSchema,
  experienceYears: z.number().int().min(0).max(80),
};

/** PUT /doctors/me: the whole profile (what is left out takes its default). */
export const profileBody = z.strictObject({
  ...profileFields,
  registrationNumber: profileFields.registrationNumber.optional(),
  council: profileFields.council.optional(),
  specializations: profileFields.specializations.default([]),
  languages: profileFields.languages.default([]),
  currency: profileFields.currency.default('INR'),
  bio: profileFields.bio.default(''),
  experienceYears: profileFields.experienceYears.default(0),
});
export type ProfileInput = z.infer<typeof profileBody>;

/** PATCH /doctors/me: only the fields sent change. */
export const profilePatch = z.strictObject(profileFields).partial();
export type ProfilePatch = z.infer<typeof profilePatch>;

export const doctorSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  registrationNumber: z.string().nullable(),
  council: z.string().nullable(),
  specializations: z.array(z.string()),
  languages: z.array(z.string()),
  feeMinor: z.number().int(),
  currency: z.string(),
  modes: z.array(z.string()),
  bio: z.string(),
  timezone: z.string(),
  experienceYears: z.number().int(),
  rating: z.object({ average: z.number(), count: z.number().int() }),
  verificationStatus: z.enum(['pending', 'verified', 'rejected']),
});

/** What a doctor sees of their own profile, and admins of any: the public profile and the review's outcome. */
export const ownDoctorSchema = doctorSchema.extend({
  verificationReason: z
    .string()
    .nullable()
    .describe(
      'Why an admin rejected the profile (or a note with the verification); null when none was given',
    ),
});

export const reviewQueueItem = ownDoctorSchema.extend({ email: z.string(), createdAt: z.string() });

export const reviewQuery = z.strictObject({
  status: z.enum(['pending', 'verified', 'rejected']).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('Prefix of the name, e-mail or registration number'),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const verifyBody = z
  .strictObject({
    status: z.enum(['verified', 'rejected']),
    reason: z.string().trim().min(1).max(1000).optional(),
  })
  .refine((b) => b.status !== 'rejected' || b.reason, {
    message: 'a reason is required to reject',
    path: ['reason'],
  });

export const searchQuery = z.strictObject({
  specialization: specialization.optional(),
  language: language.optional(),
  mode: modeSchema.optional(),
  minFee: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
  maxFee: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
  q: z.string().trim().min(1).max(100).optional(),
  availableOn: z.iso.date().optional(),
  sort: z.enum(['relevance', 'rating', 'fee']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});
export type SearchQuery = z.infer<typeof searchQuery>;
