/**
 * What the doctor pages share: the doctor's own profile (null before one exists: a 404 is an
 * answer, not an error), the value lists of the profile form (the API's enums) and the badge tone
 * of each appointment and slot status.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError, api, call, type Schemas } from '../../api/client';

export type OwnProfile = Schemas['OwnDoctor'];
export type Mode = Schemas['ScheduleRuleInput']['mode'];
export type Specialization = NonNullable<Schemas['DoctorProfileRequest']['specializations']>[number];
export type Language = NonNullable<Schemas['DoctorProfileRequest']['languages']>[number];
export type Council = NonNullable<Schemas['DoctorProfileRequest']['council']>;

export const MODES: readonly Mode[] = ['video', 'audio', 'chat'];
export const COUNCILS: readonly Council[] = ['NCISM', 'CCIM', 'STATE'];
export const SPECIALIZATIONS: readonly Specialization[] = [
  'kayachikitsa',
  'shalya-tantra',
  'shalakya-tantra',
  'kaumarabhritya',
  'prasuti-stri-roga',
  'agada-tantra',
  'rasayana',
  'vajikarana',
  'panchakarma',
  'dravyaguna',
  'rasa-shastra',
  'swasthavritta',
  'manas-roga',
  'twak-roga',
];
export const LANGUAGES: readonly Language[] = [
  'hi',
  'en',
  'bn',
  'te',
  'mr',
  'ta',
  'gu',
  'kn',
  'ml',
  'or',
  'pa',
  'as',
  'ur',
  'sa',
];

export const PROFILE_KEY = ['doctor', 'me'] as const;

export function useOwnProfile() {
  return useQuery({
    queryKey: PROFILE_KEY,
    queryFn: async (): Promise<OwnProfile | null> => {
      try {
        return await call(api.GET('/api/v1/doctors/me'));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
}

export const STATUS_TONE = {
  pending_payment: 'warn',
  confirmed: 'good',
  in_progress: 'good',
  completed: 'neutral',
  cancelled: 'bad',
  expired: 'neutral',
  no_show: 'bad',
} as const satisfies Record<Schemas['Appointment']['status'], 'good' | 'warn' | 'bad' | 'neutral'>;

export const SLOT_TONE = {
  open: 'good',
  held: 'warn',
  booked: 'neutral',
  blocked: 'bad',
} as const satisfies Record<Schemas['Slot']['status'], 'good' | 'warn' | 'bad' | 'neutral'>;
