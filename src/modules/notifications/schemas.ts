import { z } from 'zod';
import { CATEGORIES, type Category } from './preferences.ts';

const CATEGORY_WORDS: Record<Category, string> = {
  confirmations: 'a booking is confirmed (paid, or free)',
  changes: 'a booking is moved, cancelled, or released because it was not paid in time',
  payments: 'a payment did not go through',
  reminders: '24 h and 1 h before a consultation',
  prescriptions: 'a prescription is ready',
};

const switches = (channel: string, example: Record<Category, boolean>) =>
  z
    .strictObject(
      Object.fromEntries(
        CATEGORIES.map((category) => [
          category,
          z.boolean().describe(`${channel}: ${CATEGORY_WORDS[category]}`),
        ]),
      ) as Record<Category, z.ZodBoolean>,
    )
    .meta({ examples: [example] });

/** GET answers it, PUT takes it whole: every channel, every category. */
export const preferencesSchema = z
  .strictObject({
    email: switches('E-mail', {
      confirmations: true,
      changes: true,
      payments: true,
      reminders: true,
      prescriptions: true,
    }),
    sms: switches('SMS (to the phone on the account; none without one)', {
      confirmations: false,
      changes: false,
      payments: false,
      reminders: true,
      prescriptions: false,
    }),
  })
  .meta({ id: 'NotificationPreferences' });
