import type { Generated } from 'kysely';
import type { Timestamp } from './schema.ts';

/** Tables of admin operations (migration 0013). */

/** A suspension an admin made; in force until lifted (at most one in force per user). */
export interface UserSuspensionsTable {
  id: Generated<string>;
  user_id: string;
  reason: string;
  suspended_by: string;
  suspended_at: Timestamp;
  lifted_by: string | null;
  lifted_at: Timestamp | null;
}
