import { Counter } from 'prom-client';
import type { Clock } from '../../platform/clock.ts';
import type { Db } from '../../platform/db/index.ts';
import type { Locale, NotificationChannel } from '../../platform/db/schema.ts';
import type { Mailer } from '../../platform/mail.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { SmsSender } from '../../platform/sms.ts';
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
 *   mailer's own timeouts): that run is still sending. This run fails instead, and its retry decides.
 * - What a failure records and throws names the channel and the provider's code, never the
 *   address, the number or the text.
 */

/** Longer than a mail server may take to answer (platform/mail.ts: 10 s + 10 s + 30 s). */
const CLAIM_STALE_MS = 2 * 60_000;

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
      if (claimed === 'sending') throw new Error(`${o.channel} is being sent by another run of this job`);
      try {
        await handOver(o);
      } catch (error) {
        const reason = failureOf(o.channel, error);
        await repo.settle(db, key, { error: reason });
        sent.inc({ template: o.template, channel: o.channel, outcome: 'failed' });
        throw new Error(reason);
      }
      await repo.settle(db, key, { sentAt: clock.now() });
      sent.inc({ template: o.template, channel: o.channel, outcome: 'sent' });
    },
  };
}

export type Delivery = ReturnType<typeof createDelivery>;
