/**
 * The doctor's weekly schedule with its date overrides and booking rules, then a preview of the
 * slots the server made from it for the next 7 days (in the doctor's zone, from the profile).
 * No profile yet: the schedule needs its time zone, so the page points to the profile first.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError, api, call, type Schemas } from '../../api/client';
import { useI18n } from '../../i18n';
import { QueryView } from '../../ui/errors';
import { PageTitle } from '../../ui/kit';
import { useOwnProfile } from './data';
import { NeedProfile } from './fields';
import { SCHEDULE_KEY, ScheduleEditor } from './schedule-editor';
import { SlotPreview } from './slot-preview';

export default function SchedulePage() {
  const { t } = useI18n();
  const profile = useOwnProfile();
  const schedule = useQuery({
    queryKey: SCHEDULE_KEY,
    queryFn: async (): Promise<Schemas['Schedule'] | null> => {
      try {
        return await call(api.GET('/api/v1/doctors/me/schedule'));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  return (
    <>
      <PageTitle>{t('doctor.schedule.title')}</PageTitle>
      <QueryView query={profile}>
        {(own) =>
          own ? (
            <div className="flex flex-col gap-4">
              <p>{t('doctor.schedule.intro', { zone: own.timezone })}</p>
              <QueryView query={schedule}>
                {(current) => <ScheduleEditor schedule={current} timezone={own.timezone} />}
              </QueryView>
              <SlotPreview timezone={own.timezone} verified={own.verificationStatus === 'verified'} />
            </div>
          ) : (
            <NeedProfile />
          )
        }
      </QueryView>
    </>
  );
}
