import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_doctors_availability.ts';
import * as m0003 from './0003_booking.ts';
import * as m0004 from './0004_booking_core.ts';
import * as m0005 from './0005_install_identity.ts';
import * as m0006 from './0006_one_time_zone.ts';
import * as m0007 from './0007_account_security.ts';
import * as m0008 from './0008_clinical_records.ts';
import * as m0009 from './0009_reviews.ts';
import * as m0010 from './0010_notifications.ts';
import * as m0011 from './0011_partitions.ts';
import * as m0013 from './0013_admin_ops.ts';
import * as m0014 from './0014_analytics.ts';
import * as m0015 from './0015_analytics_row_marks.ts';
import * as m0016 from './0016_outbox_trace.ts';
import * as m0017 from './0017_registration_unique.ts';
import * as m0018 from './0018_refresh_successor.ts';

/** Every migration, in order. Listed statically so nothing depends on scanning the file system. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_doctors_availability': m0002,
  '0003_booking': m0003,
  '0004_booking_core': m0004,
  '0005_install_identity': m0005,
  '0006_one_time_zone': m0006,
  '0007_account_security': m0007,
  '0008_clinical_records': m0008,
  '0009_reviews': m0009,
  '0010_notifications': m0010,
  '0011_partitions': m0011,
  '0013_admin_ops': m0013,
  '0014_analytics': m0014,
  '0015_analytics_row_marks': m0015,
  '0016_outbox_trace': m0016,
  '0017_registration_unique': m0017,
  '0018_refresh_successor': m0018,
};
