import { type Kysely, sql } from 'kysely';

/**
 * Notifications (issue 9, item 6): what each user chose to receive, what was sent for each outbox
 * job (so a job delivered twice sends once), and which reminders were scheduled for which start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Only a user's explicit choices; a missing row means the default (see notifications/preferences.ts).
    CREATE TABLE notification_preferences (
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      channel text NOT NULL CHECK (channel IN ('email', 'sms')),
      category text NOT NULL
        CHECK (category IN ('confirmations', 'changes', 'payments', 'reminders', 'prescriptions')),
      enabled boolean NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (user_id, channel, category)
    );

    -- One row per (outbox job, recipient, channel), claimed before the send: a send that failed is
    -- claimed again by the job's next try, one that succeeded never is.
    CREATE TABLE notification_deliveries (
      outbox_id uuid NOT NULL,
      recipient_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      channel text NOT NULL CHECK (channel IN ('email', 'sms')),
      template text NOT NULL,
      status text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
      attempts int NOT NULL CHECK (attempts > 0),
      claimed_at timestamptz NOT NULL,
      sent_at timestamptz,
      last_error text,
      PRIMARY KEY (outbox_id, recipient_id, channel),
      CHECK ((status = 'sent') = (sent_at IS NOT NULL))
    );
    CREATE INDEX notification_deliveries_claimed_idx ON notification_deliveries (claimed_at);

    -- A message that went out stays sent: no later claim can make it go out again.
    CREATE FUNCTION notification_sent_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'sent' THEN
        RAISE EXCEPTION 'notification % to % by % was sent already', OLD.outbox_id, OLD.recipient_id, OLD.channel;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER notification_deliveries_sent_is_final BEFORE UPDATE ON notification_deliveries
      FOR EACH ROW EXECUTE FUNCTION notification_sent_is_final();

    -- The reminders scheduled for an appointment's start (their outbox rows carry the same key):
    -- scheduling twice for one start writes nothing new, a new start gets its own.
    CREATE TABLE notification_reminders (
      appointment_id uuid NOT NULL REFERENCES appointments(id),
      starts_at timestamptz NOT NULL,
      template text NOT NULL CHECK (template IN ('reminder_24h', 'reminder_1h')),
      due_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (appointment_id, starts_at, template),
      CHECK (due_at < starts_at)
    );
    CREATE INDEX notification_reminders_starts_idx ON notification_reminders (starts_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE notification_reminders;
    DROP TABLE notification_deliveries;
    DROP FUNCTION notification_sent_is_final();
    DROP TABLE notification_preferences;
  `.execute(db);
}
