/**
 * The message catalogues, one module per area; each area's Hindi must have exactly the English
 * keys (the type says so), so a missing translation fails the type-check.
 */
import * as admin from './messages/admin';
import * as common from './messages/common';
import * as doctor from './messages/doctor';
import * as patient from './messages/patient';

export type Locale = 'en' | 'hi';
const en = { ...common.en, ...patient.en, ...doctor.en, ...admin.en };
export type MessageKey = keyof typeof en;
const hi: Record<MessageKey, string> = { ...common.hi, ...patient.hi, ...doctor.hi, ...admin.hi };
export const catalogues: Record<Locale, Record<MessageKey, string>> = { en, hi };
