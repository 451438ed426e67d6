import { z } from 'zod';
import { cursorSchema, limitSchema, utcSchema } from '../../http/index.ts';

export const reviewBody = z
  .strictObject({
    rating: z
      .number()
      .int()
      .min(1)
      .max(5)
      .meta({ examples: [5] })
      .describe('1 (poor) to 5 (excellent)'),
    comment: z
      .string()
      .trim()
      .min(1)
      .max(2000)
      .optional()
      .meta({ examples: ['Listened carefully and explained the diet changes clearly.'] })
      .describe('Shown on the doctor’s public page, without your name'),
  })
  .meta({ id: 'ReviewRequest' });

const rating = z
  .number()
  .int()
  .meta({ examples: [5] });
const comment = z
  .string()
  .nullable()
  .meta({ examples: ['Listened carefully and explained the diet changes clearly.'] });

export const reviewSchema = z
  .object({
    id: z.uuid(),
    appointmentId: z.uuid(),
    doctorId: z.uuid(),
    rating,
    comment,
    createdAt: utcSchema,
    doctorRating: z
      .object({
        average: z.number().meta({ examples: [4.6] }),
        count: z
          .number()
          .int()
          .meta({ examples: [39] }),
      })
      .describe('The doctor’s rating with this review'),
  })
  .meta({ id: 'Review' });

export const publicReviewSchema = z
  .object({
    id: z.uuid(),
    rating,
    comment,
    createdAt: utcSchema,
  })
  .meta({ id: 'PublicReview', description: 'A review as the public sees it: no reviewer' });

export const reviewListQuery = z.strictObject({ limit: limitSchema, cursor: cursorSchema });
export const reviewCursor = z.object({ t: z.iso.datetime(), id: z.uuid() });
