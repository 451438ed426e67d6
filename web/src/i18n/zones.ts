/**
 * Time-zone names as the API stores them (today's IANA names). Some browsers' ICU still reports
 * old ones (Chromium says Asia/Calcutta for Asia/Kolkata); every zone the app shows or sends
 * passes through here, so one place knows the renames.
 */
const RENAMED: Record<string, string> = {
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Dacca': 'Asia/Dhaka',
  'Asia/Thimbu': 'Asia/Thimphu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Europe/Kiev': 'Europe/Kyiv',
};

export const currentZoneName = (zone: string): string => RENAMED[zone] ?? zone;

/** The zone the browser runs in: where the user is. */
export const browserZone = (): string => currentZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone);

/** Every zone the browser knows, by current name, plus `including` (a stored value), sorted. */
export const allZones = (including: string): string[] =>
  [...new Set([...Intl.supportedValuesOf('timeZone').map(currentZoneName), including])].sort();
