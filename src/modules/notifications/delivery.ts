import { Counter } from 'prom-client';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { Locale, NotificationChannel } from '../../platform/db/schema.ts';
import { RetryLater } from '../../platform/kv.ts';
import type { Mailer } from '../../platform/mail.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { SmsSender } from '../../platform/sms.ts';
import { isDependencyDown } from '../../platform/unavailable.ts';
import * as repo from './repo.ts';
import type { RenderedMessage, Template } from './templates/index.ts';

/**
 * Sending one message of one job to one person by one channel, at most once per success.
 *
 * Invariants:
 * - A message is claimed in the database before it is handed to the mailer or SMS provider, and
 *   marked sent after: a job delivered twice, or retried after a partial failure, sends only what
 *   was not sent yet (notification_deliveries; the database keeps a sent row sent).
 * - A claim held by another run is not taken over until it is CLAIM_STALE_MS old (longer than the
 *   mailer's own timeouts): that run is still sending. This run fails instead, and its retry, due
 *   when the claim can be taken over (RetryLater), decides. So a send that went is recorded
 *   through a short database outage (`recordSent`).
 * - What a failure records and throws names the channel and the provider's code, never the
 *   address, the number or the text.
 */

/** Longer than a mail server may take to answer (platform/mail.ts: 10 s + 10 s + 30 s). */
const CLAIM_STALE_MS = 2 * 60_000;
/** Recording a sent message is retried this often, this far apart (a database restart: seconds). */
const SETTLE_TRIES = 30;
const SETTLE_RETRY_MS = 1_000;

export interface Contact {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  locale: Locale;
}

export interface Outgoing {
  /** The outbox row (= job id) the message belongs to. */
  outboxId: string;
  template: Template;
  to: Contact;
  channel: NotificationChannel;
  message: RenderedMessage;
}

/** Why a send failed, for the job's failure reason and the delivery row: no recipient, no text. */
function failureOf(channel: NotificationChannel, error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown };
  const code = [e.code, e.responseCode].filter((c) => typeof c === 'string' || typeof c === 'number');
  return `${channel} not sent${code.length > 0 ? ` (${code.join(' ')})` : ''}`;
}

export function createDelivery(deps: {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  sms: SmsSender;
  metrics: Metrics;
}) {
  const { db, clock } = deps;
  const sent = new Counter({
    name: 'notifications_total',
    help: 'Notification messages by template, channel and outcome (sent, failed, duplicate: sent before)',
    labelNames: ['template', 'channel', 'outcome'] as const,
    registers: [deps.metrics.registry],
  });

  async function handOver(o: Outgoing): Promise<void> {
    if (o.channel === 'email') {
      await deps.mailer.send({ to: o.to.email, ...o.message.email });
    } else if (o.to.phone) {
      await deps.sms.send({ to: o.to.phone, text: o.message.sms });
    }
  }

  /**
   * The message went: that must be recorded through a short database outage, or every retry of
   * the job would find it `sending` (not stale yet) and the job would die with the message sent.
   */
  async function recordSent(key: repo.DeliveryKey): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await repo.settle(db, key, { sentAt: clock.now() });
      } catch (error) {
        if (attempt === SETTLE_TRIES || !isDependencyDown(error)) throw error;
        await new Promise((r) => setTimeout(r, SETTLE_RETRY_MS));
      }
    }
  }

  return {
    /** Sends `o` unless it was sent before; throws (with a reason fit for logs) if it could not be. */
    async send(o: Outgoing): Promise<void> {
      const key = { outboxId: o.outboxId, recipientId: o.to.id, channel: o.channel };
      const now = clock.now();
      const claimed = await repo.claim(db, key, o.template, now, new Date(now.getTime() - CLAIM_STALE_MS));
      if (claimed === 'sent') {
        sent.inc({ template: o.template, channel: o.channel, outcome: 'duplicate' });
        return;
      }
      // An earlier run may have died mid-send: try again once its claim can be taken over.
      if (claimed === 'sending')
        throw new RetryLater(`${o.channel} is being sent by another run of this job`, CLAIM_STALE_MS);
      try {
        await handOver(o);
      } catch (error) {
        const reason = failureOf(o.channel, error);
        await repo.settle(db, key, { error: reason });
        sent.inc({ template: o.template, channel: o.channel, outcome: 'failed' });
        throw new Error(reason);
      }
      await recordSent(key);
      sent.inc({ template: o.template, channel: o.channel, outcome: 'sent' });
    },
  };
}

export type Delivery = ReturnType<typeof createDelivery>;
