import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { IdempotencyStore } from '../../platform/idempotency-store.ts';
import type { AuditService } from '../audit/service.ts';
import type { SlotFeed } from '../availability/live.ts';
import type { Outbox } from '../outbox/service.ts';
import type { PaymentService } from '../payments/service.ts';
import type { Holds } from './holds.ts';
import type { Views } from './views.ts';

/** What booking.ts and changes.ts are built from (service.ts assembles them). */
export interface AppointmentParts {
  db: Db;
  clock: Clock;
  keys: IdempotencyStore;
  holds: Holds;
  audit: AuditService;
  outbox: Outbox;
  payments: PaymentService;
  views: Views;
  feed: SlotFeed;
}
