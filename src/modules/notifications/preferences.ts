import { type AuthContext, type RequestMeta, unauthorized } from '../../http/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { NotificationChannel } from '../../platform/db/schema.ts';
import type { AuditService } from '../audit/service.ts';
import * as repo from './repo.ts';
import type { Template } from './templates/index.ts';

/**
 * What each user wants to receive, by channel and category.
 *
 * Invariants:
 * - Only explicit choices are stored; anything not chosen is the default: every e-mail on; SMS
 *   reminders on when the user has a phone, other SMS off.
 * - A message goes by a channel only if its category is on for that channel, and by SMS only to a
 *   user with a phone. Every send asks `effective` at the time of sending.
 * - A change is audited with the choices made (they are not PHI).
 */

export const CHANNELS = ['email', 'sms'] as const satisfies readonly NotificationChannel[];
export const CATEGORIES = ['confirmations', 'changes', 'payments', 'reminders', 'prescriptions'] as const;
export type Category = (typeof CATEGORIES)[number];
export type Preferences = Record<NotificationChannel, Record<Category, boolean>>;

/** Which category a message is in: what a user switches on or off. */
export const CATEGORY_OF: Record<Template, Category> = {
  confirmed: 'confirmations',
  rescheduled: 'changes',
  cancelled: 'changes',
  hold_expired: 'changes',
  payment_failed: 'payments',
  reminder_24h: 'reminders',
  reminder_1h: 'reminders',
  prescription_ready: 'prescriptions',
};

const byCategory = (on: (category: Category) => boolean) =>
  Object.fromEntries(CATEGORIES.map((c) => [c, on(c)])) as Record<Category, boolean>;

export const defaults = (hasPhone: boolean): Preferences => ({
  email: byCategory(() => true),
  sms: byCategory((c) => c === 'reminders' && hasPhone),
});

export function createPreferences(deps: {
  db: Db;
  clock: Clock;
  audit: AuditService;
  /** Users' phones (a user without one gets no SMS). */
  contacts: (userIds: string[]) => Promise<Array<{ id: string; phone: string | null }>>;
}) {
  const { db, clock, audit } = deps;

  /** Each user's preferences: their choices over the defaults. */
  async function effective(
    users: Array<{ id: string; phone: string | null }>,
  ): Promise<Map<string, Preferences>> {
    const choices = await repo.choicesOf(
      db,
      users.map((u) => u.id),
    );
    const result = new Map(users.map((u) => [u.id, defaults(u.phone !== null)]));
    for (const c of choices) {
      const preferences = result.get(c.user_id);
      if (preferences && (CATEGORIES as readonly string[]).includes(c.category)) {
        preferences[c.channel][c.category as Category] = c.enabled;
      }
    }
    return result;
  }

  /** The signed-in user's preferences (a token that outlived its account is refused). */
  async function own(auth: AuthContext): Promise<Preferences> {
    const [me] = await deps.contacts([auth.userId]);
    if (!me) throw unauthorized('The account no longer exists', 'INVALID_TOKEN');
    return (await effective([me])).get(me.id)!;
  }

  return {
    effective,

    /** GET /me/notifications. */
    get: own,

    /** PUT /me/notifications: every choice, stored; what GET now answers. */
    async put(auth: AuthContext, chosen: Preferences, meta: RequestMeta): Promise<Preferences> {
      await own(auth);
      const choices = CHANNELS.flatMap((channel) =>
        CATEGORIES.map((category) => ({ channel, category, enabled: chosen[channel][category] })),
      );
      await db.transaction().execute(async (tx) => {
        await repo.saveChoices(tx, auth.userId, choices, clock.now());
        await audit.record(tx, meta, {
          action: 'notification.preferences_changed',
          entity: 'user',
          entityId: auth.userId,
          details: { ...chosen },
        });
      });
      return own(auth);
    },
  };
}
