/**
 * Who seed-demo makes (demo.ts): an admin, five Ayurveda doctors and a patient. The doctors'
 * specializations, languages, councils, zones and fees are the reference values of the team's
 * ayurveda.json (modules/doctors/reference.ts checks them when the profile is saved); their hours
 * are what such practices keep, in their own zones. One consults free (a community evening clinic),
 * so a booking can be tried without the payment step. Profiles and rules are the API's request
 * bodies (PUT /doctors/me, PUT /doctors/me/schedule), parsed by the API's schemas.
 */
import type { z } from 'zod';
import type { scheduleBody } from '../../modules/availability/schemas.ts';
import type { profileBody } from '../../modules/doctors/schemas.ts';
import type { Sex } from '../../platform/db/schema.ts';

/** Every demo account's e-mail is here: a reserved name (RFC 2606), never a real inbox. */
export const DEMO_EMAIL_DOMAIN = 'demo.amrutam.test';
/** What every account seed-demo creates signs in with, unless --password says otherwise. */
export const DEMO_PASSWORD = 'namaste-amrutam';

export const DEMO_ADMIN = { name: 'Amrutam Admin', email: `admin@${DEMO_EMAIL_DOMAIN}` };

export const DEMO_PATIENT = {
  name: 'Rohan Deshpande',
  email: `rohan.deshpande@${DEMO_EMAIL_DOMAIN}`,
  // What a prescription prints of its patient (PUT /me/profile); without them a doctor can't issue one.
  details: { dateOfBirth: '1991-03-12', sex: 'male' as Sex },
};

export interface DemoDoctor {
  name: string;
  email: string;
  profile: z.input<typeof profileBody>;
  rules: z.input<typeof scheduleBody>['rules'];
}

/** ISO weekdays: Monday 1 … Sunday 7. */
const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
type Rule = DemoDoctor['rules'][number];
const hours = (weekdays: number[], window: Omit<Rule, 'weekday'>): Rule[] =>
  weekdays.map((weekday) => ({ weekday, ...window }));

export const DEMO_DOCTORS: DemoDoctor[] = [
  {
    name: 'Dr. Asha Kulkarni',
    email: `asha.kulkarni@${DEMO_EMAIL_DOMAIN}`,
    profile: {
      registrationNumber: 'NCISM/AY/21847',
      council: 'NCISM',
      specializations: ['kayachikitsa', 'panchakarma'],
      languages: ['mr', 'hi', 'en'],
      feeMinor: 50_000,
      modes: ['video', 'audio'],
      timezone: 'Asia/Kolkata',
      experienceYears: 14,
      bio: 'Kayachikitsa physician in Pune (BAMS, MD Ayurveda) with 14 years of practice; special interest in chronic digestive complaints, and in planning Panchakarma that fits a working week.',
    },
    rules: [
      ...hours(days(1, 6), { start: '09:30', end: '13:00', slotMinutes: 30, mode: 'video' }),
      ...hours([1, 3, 5], { start: '17:00', end: '19:00', slotMinutes: 30, mode: 'audio' }),
    ],
  },
  {
    name: 'Dr. Ramesh Nair',
    email: `ramesh.nair@${DEMO_EMAIL_DOMAIN}`,
    profile: {
      registrationNumber: 'TCMC/AYU/4512',
      council: 'STATE',
      specializations: ['panchakarma', 'rasayana'],
      languages: ['ml', 'en', 'hi'],
      feeMinor: 80_000,
      modes: ['video'],
      timezone: 'Asia/Kolkata',
      experienceYears: 22,
      bio: 'Vaidya from Kottakkal (BAMS, MD Panchakarma; Travancore-Cochin register), 22 years in Panchakarma and Rasayana: joint pain and arthritis, recovery after illness, healthy ageing.',
    },
    rules: [
      ...hours(days(1, 5), { start: '08:00', end: '11:00', slotMinutes: 45, mode: 'video' }),
      ...hours([6], { start: '08:00', end: '09:30', slotMinutes: 45, mode: 'video' }),
    ],
  },
  {
    name: 'Dr. Meenakshi Iyer',
    email: `meenakshi.iyer@${DEMO_EMAIL_DOMAIN}`,
    profile: {
      registrationNumber: 'NCISM/AY/17390',
      council: 'NCISM',
      specializations: ['prasuti-stri-roga', 'kaumarabhritya'],
      languages: ['ta', 'en', 'hi'],
      feeMinor: 120_000,
      modes: ['video', 'chat'],
      timezone: 'Asia/Kolkata',
      experienceYears: 18,
      bio: "Prasuti Tantra and Stri Roga consultant in Chennai (BAMS, MS Ayurveda): PCOS and menstrual health, care before and after childbirth, and children's recurring colds and allergies.",
    },
    rules: [
      ...hours([2, 4, 6], { start: '10:00', end: '13:00', slotMinutes: 30, mode: 'video' }),
      ...hours(days(1, 5), { start: '18:00', end: '20:00', slotMinutes: 20, mode: 'chat' }),
    ],
  },
  {
    name: 'Dr. Harpreet Gill',
    email: `harpreet.gill@${DEMO_EMAIL_DOMAIN}`,
    profile: {
      registrationNumber: 'NCISM/AY/30561',
      council: 'NCISM',
      specializations: ['manas-roga', 'swasthavritta'],
      languages: ['pa', 'hi', 'en'],
      feeMinor: 0,
      modes: ['video', 'audio', 'chat'],
      timezone: 'Asia/Kolkata',
      experienceYears: 9,
      bio: 'Runs a free evening clinic from Amritsar (BAMS, MD Swasthavritta): stress, sleep and anxiety, with yoga and daily routine (dinacharya) as much as medicine.',
    },
    rules: [
      ...hours(days(1, 7), { start: '19:00', end: '21:00', slotMinutes: 20, mode: 'video' }),
      ...hours([7], { start: '10:00', end: '12:00', slotMinutes: 20, mode: 'audio' }),
    ],
  },
  {
    name: 'Dr. Farah Qureshi',
    email: `farah.qureshi@${DEMO_EMAIL_DOMAIN}`,
    profile: {
      registrationNumber: 'CCIM/AY/9036',
      council: 'CCIM',
      specializations: ['twak-roga', 'dravyaguna'],
      languages: ['ur', 'hi', 'en'],
      feeMinor: 30_000,
      modes: ['video'],
      timezone: 'Asia/Dubai',
      experienceYears: 11,
      bio: "Skin specialist (BAMS, MD Dravyaguna) consulting from Dubai for the Gulf's Indian community: eczema, psoriasis and acne, with herbal formulations explained plant by plant.",
    },
    // The UAE's working week (since 2022): Monday to Thursday, and Friday mornings.
    rules: [
      ...hours(days(1, 4), { start: '10:00', end: '14:00', slotMinutes: 30, mode: 'video' }),
      ...hours([5], { start: '09:00', end: '11:30', slotMinutes: 30, mode: 'video' }),
    ],
  },
];
