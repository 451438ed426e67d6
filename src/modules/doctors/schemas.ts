import { z } from 'zod';
import { cursorSchema, dateSchema, limitSchema, utcSchema } from '../../http/index.ts';
import { isValidTimeZone } from '../availability/timezone.ts';
import { COUNCILS, CURRENCIES, LANGUAGES, MODES, SPECIALIZATION_SLUGS } from './reference.ts';

export const timezoneSchema = z
  .string()
  .max(64)
  .refine(isValidTimeZone, 'must be an IANA time zone, e.g. Asia/Kolkata')
  .meta({ examples: ['Asia/Kolkata'] })
  .describe('IANA time zone: the doctor’s one zone, which schedules and dates are in');
export const modeSchema = z.enum(MODES).describe('Consultation mode');
const specialization = z.enum(SPECIALIZATION_SLUGS as [string, ...string[]]);
const language = z.enum(LANGUAGES);

const profileFields = {
  registrationNumber: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .nullable()
    .meta({ examples: ['NCISM/AY/10234'] })
    .describe('Medical registration number (required before verification)'),
  council: z.enum(COUNCILS).nullable().describe('The council that registered the doctor'),
  specializations: z.array(specialization).max(14),
  languages: z.array(language).max(14),
  feeMinor: z
    .number()
    .int()
    .min(0)
    .max(100_000_000)
    .describe('Consultation fee in minor units: paise for INR (₹500 = 50000); 0 is free'),
  currency: z.enum(CURRENCIES).describe('ISO 4217; the product takes INR today'),
  modes: z.array(modeSchema).min(1).max(3),
  bio: z
    .string()
    .max(5000)
    .meta({
      examples: ['Kayachikitsa physician with 12 years in Pune; special interest in digestive disorders.'],
    }),
  timezone: timezoneSchema,
  experienceYears: z
    .number()
    .int()
    .min(0)
    .max(80)
    .meta({ examples: [12] }),
};

/** PUT /doctors/me: the whole profile (what is left out takes its default). */
export const profileBody = z
  .strictObject({
    ...profileFields,
    registrationNumber: profileFields.registrationNumber.optional(),
    council: profileFields.council.optional(),
    specializations: profileFields.specializations.default([]),
    languages: profileFields.languages.default([]),
    currency: profileFields.currency.default('INR'),
    bio: profileFields.bio.default(''),
    experienceYears: profileFields.experienceYears.default(0),
  })
  .meta({ id: 'DoctorProfileRequest' });
export type ProfileInput = z.infer<typeof profileBody>;

/** PATCH /doctors/me: only the fields sent change. */
export const profilePatch = z.strictObject(profileFields).partial().meta({ id: 'DoctorProfilePatch' });
export type ProfilePatch = z.infer<typeof profilePatch>;

export const doctorSchema = z
  .object({
    id: z.uuid(),
    name: z.string().meta({ examples: ['Dr. Asha Rao'] }),
    registrationNumber: z
      .string()
      .nullable()
      .meta({ examples: ['NCISM/AY/10234'] }),
    council: z
      .string()
      .nullable()
      .meta({ examples: ['NCISM'] }),
    specializations: z.array(z.string()).meta({ examples: [['kayachikitsa', 'panchakarma']] }),
    languages: z
      .array(z.string())
      .meta({ examples: [['hi', 'en']] })
      .describe('ISO 639-1 codes'),
    feeMinor: z
      .number()
      .int()
      .meta({ examples: [50000] })
      .describe('Fee in paise (₹500 = 50000)'),
    currency: z.string().meta({ examples: ['INR'] }),
    modes: z.array(z.string()).meta({ examples: [['video', 'audio']] }),
    bio: z.string().meta({ examples: ['Kayachikitsa physician with 12 years in Pune.'] }),
    timezone: z.string().meta({ examples: ['Asia/Kolkata'] }),
    experienceYears: z
      .number()
      .int()
      .meta({ examples: [12] }),
    rating: z.object({
      average: z
        .number()
        .meta({ examples: [4.6] })
        .describe('0 until the first review'),
      count: z
        .number()
        .int()
        .meta({ examples: [38] }),
    }),
    verificationStatus: z.enum(['verified', 'pending', 'rejected']),
  })
  .meta({ id: 'Doctor', description: 'A doctor’s public profile' });

/** What a doctor sees of their own profile, and admins of any: the public profile and the review's outcome. */
export const ownDoctorSchema = doctorSchema
  .extend({
    verificationReason: z
      .string()
      .nullable()
      .describe(
        'Why an admin rejected the profile (or a note with the verification); null when none was given',
      ),
  })
  .meta({ id: 'OwnDoctor', description: 'A doctor’s profile with the outcome of its review' });

export const reviewQueueItem = ownDoctorSchema
  .extend({ email: z.email().meta({ examples: ['asha.rao@example.com'] }), createdAt: utcSchema })
  .meta({ id: 'DoctorForReview' });

const searchTerm = z.string().trim().min(1).max(100).optional();

export const reviewQuery = z.strictObject({
  status: z.enum(['pending', 'verified', 'rejected']).optional(),
  q: searchTerm.describe('Prefix of the name, e-mail or registration number'),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const verifyBody = z
  .strictObject({
    status: z.enum(['verified', 'rejected']),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .optional()
      .meta({ examples: ['Registration number checked with NCISM'] })
      .describe('Required to reject: the doctor reads it'),
  })
  .refine((b) => b.status !== 'rejected' || b.reason, {
    message: 'a reason is required to reject',
    path: ['reason'],
  })
  .meta({ id: 'VerifyRequest' });

const FEE_RULE = 'must be a whole number of paise, 0 or more (₹500 = 50000)';
const feeFilter = z.coerce
  .number({ error: FEE_RULE })
  .int({ error: FEE_RULE })
  .min(0, { error: FEE_RULE })
  .max(2_147_483_647)
  .optional();

export const searchQuery = z.strictObject({
  specialization: specialization.optional(),
  language: language.optional(),
  mode: modeSchema.optional(),
  minFee: feeFilter.describe('Lowest fee, in paise (₹500 = 50000)'),
  maxFee: feeFilter.describe('Highest fee, in paise (₹500 = 50000)'),
  q: searchTerm.describe('Free text over name, bio and specializations; tolerant of typos'),
  availableOn: dateSchema
    .optional()
    .describe('A date (`YYYY-MM-DD`) in the doctor’s time zone with at least one slot bookable now'),
  sort: z.enum(['relevance', 'rating', 'fee']).optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});
export type SearchQuery = z.infer<typeof searchQuery>;
