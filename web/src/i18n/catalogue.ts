/**
 * The message catalogues, one module per area (the doctor's in two: profile, schedule and calendar;
 * the consultation) plus the words for the API's codes every area shows (domain); each module's
 * Hindi must have exactly the English keys (the type says so), so a missing translation fails the
 * type-check.
 */
import * as admin from './messages/admin';
import * as common from './messages/common';
import * as consultation from './messages/consultation';
import * as doctor from './messages/doctor';
import * as domain from './messages/domain';
import * as patient from './messages/patient';

export type Locale = 'en' | 'hi';
const en = {
  ...common.en,
  ...domain.en,
  ...patient.en,
  ...doctor.en,
  ...consultation.en,
  ...admin.en,
};
export type MessageKey = keyof typeof en;
const hi: Record<MessageKey, string> = {
  ...common.hi,
  ...domain.hi,
  ...patient.hi,
  ...doctor.hi,
  ...consultation.hi,
  ...admin.hi,
};
export const catalogues: Record<Locale, Record<MessageKey, string>> = { en, hi };
