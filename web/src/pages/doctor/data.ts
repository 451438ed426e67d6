/**
 * What the doctor pages share: the doctor's own profile (null before one exists: a 404 is an
 * answer, not an error), the registering councils and the badge tone of each slot status. The
 * API's other codes (specialisations, languages, modes, appointment statuses) are in ui/domain.tsx.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError, api, call, type Schemas } from '../../api/client';
import type { BadgeTone } from '../../ui/kit';

export type OwnProfile = Schemas['OwnDoctor'];
export type Council = NonNullable<Schemas['DoctorProfileRequest']['council']>;

export const COUNCILS: readonly Council[] = ['NCISM', 'CCIM', 'STATE'];

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

export const SLOT_TONE = {
  open: 'good',
  held: 'warn',
  booked: 'neutral',
  blocked: 'bad',
} as const satisfies Record<Schemas['Slot']['status'], BadgeTone>;
