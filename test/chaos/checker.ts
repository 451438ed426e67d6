/**
 * The history checker: run once the load has stopped, every process is back and the worker has
 * drained. It reads the database directly and compares it with what clients were told (load.ts):
 * - no slot ever had two active appointments, and slots agree with their appointments
 *   (test/helpers/invariants.ts, the same checks the booking tests use);
 * - every acknowledged booking exists; every appointment was booked by a request in the history
 *   whose answer was `ok` or `unknown` (nothing a client was told failed, nothing nobody asked for);
 * - every stored idempotent answer is the one its client saw (a client told `ok` got what is stored);
 * - acknowledged cancels and reschedules took effect; acknowledged payments confirmed their booking;
 * - every lapsed unpaid hold expired (holds are short: world.ts); every captured payment belongs to a confirmed (or later) appointment
 *   or was refunded, and every capture was asked for by a payment request; every refund processed;
 * - every outbox event was handed to the queue and took effect once: one event per audited change,
 *   no job left or dead, every e-mail delivery sent, once (one .eml file per delivery row) unless
 *   a run died between handing it over and recording it (then at most twice);
 * - the audit chain verifies (GET /admin/audit-logs/verify).
 */
import { readdir } from 'node:fs/promises';
import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/index.ts';
import { bookingInvariantViolations } from '../helpers/invariants.ts';
import type { Op } from './load.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const LATER_THAN_CONFIRMED = ['confirmed', 'in_progress', 'completed', 'no_show'];

/** The sandbox names a capture after the request that asked for it (payments/routes.ts). */
const captureIdOf = (requestId: string) => `pay_${requestId.replaceAll('-', '').slice(0, 14)}`;

export async function checkHistory(
  db: Db,
  history: Op[],
  opts: { mailDir: string; verifyAudit: () => Promise<{ ok: boolean; reason: string | null }> },
): Promise<{ violations: string[]; facts: Record<string, number> }> {
  const violations: string[] = [];
  const fail = (what: string, items: unknown[]) => {
    if (items.length > 0)
      violations.push(`${what}: ${items.length} (e.g. ${JSON.stringify(items.slice(0, 3))})`);
  };

  for (const v of await bookingInvariantViolations(db)) violations.push(`${v.problem}: ${v.n}`);

  const appointments = await db.selectFrom('appointments').select(['id', 'status', 'slot_id']).execute();
  const byId = new Map(appointments.map((a) => [a.id, a]));
  const stored = await db
    .selectFrom('idempotency_keys')
    .select(['user_id', 'key', 'response_status', 'response_body'])
    .execute();
  const storedOf = new Map(stored.map((s) => [`${s.user_id}:${s.key}`, s]));
  const opsOf = Map.groupBy(
    history.filter((o) => o.key),
    (o) => `${o.patientId}:${o.key}`,
  );

  // Stored answers against what clients were told.
  fail(
    'stored answer for a key no client sent',
    stored.filter((s) => !opsOf.has(`${s.user_id}:${s.key}`)).map((s) => s.key),
  );
  const told: string[] = [];
  const changedThoughFailed: string[] = [];
  for (const [k, ops] of opsOf) {
    const s = storedOf.get(k);
    for (const o of ops) if (o.outcome === 'ok' && s?.response_status !== o.status) told.push(o.key!);
    if (s && s.response_status < 300 && ops.every((o) => o.outcome === 'fail')) changedThoughFailed.push(k);
  }
  fail('client told ok, but no such answer stored', told);
  fail('a change stored whose every request was told it failed', changedThoughFailed);

  // Every appointment traces to a booking request that was ok or unknown; every ok booking exists.
  const bookedBy = new Map<string, string>();
  for (const s of stored)
    if (s.response_status === 201)
      for (const id of s.response_body.match(UUID) ?? [])
        if (byId.has(id)) bookedBy.set(id, `${s.user_id}:${s.key}`);
  fail(
    'appointment no booking request made',
    appointments
      .filter((a) => {
        const ops = opsOf.get(bookedBy.get(a.id) ?? '') ?? [];
        return !ops.some((o) => o.kind === 'book' && o.outcome !== 'fail');
      })
      .map((a) => a.id),
  );
  const ok = (kind: Op['kind']) => history.filter((o) => o.kind === kind && o.outcome === 'ok');
  fail(
    'acknowledged booking missing',
    ok('book')
      .filter((o) => !o.appointmentId || !byId.has(o.appointmentId))
      .map((o) => o.requestId),
  );
  fail(
    'acknowledged cancel not in effect',
    ok('cancel')
      .filter((o) => byId.get(o.appointmentId!)?.status !== 'cancelled')
      .map((o) => o.appointmentId),
  );
  // The last acknowledged reschedule of an appointment still active says where it is.
  const lastMove = new Map(ok('reschedule').map((o) => [o.appointmentId!, o]));
  fail(
    'acknowledged reschedule not in effect',
    [...lastMove.values()]
      .filter((o) => {
        const a = byId.get(o.appointmentId!);
        return a && ['pending_payment', ...LATER_THAN_CONFIRMED].includes(a.status) && a.slot_id !== o.slotId;
      })
      .map((o) => o.appointmentId),
  );

  // Holds and money.
  // The expiry job runs every 2 s: a hold that lapsed before that is expired by now.
  const lapsed = await db
    .selectFrom('appointments')
    .select('id')
    .where('status', '=', 'pending_payment')
    .where('hold_expires_at', '<', new Date(Date.now() - 5_000))
    .execute();
  fail(
    'lapsed hold not expired',
    lapsed.map((a) => a.id),
  );
  const payments = await db
    .selectFrom('payments')
    .select(['id', 'appointment_id', 'status', 'provider_payment_id'])
    .execute();
  fail(
    'captured payment of an appointment not confirmed (nor refunded)',
    payments
      .filter((p) => p.status === 'captured')
      .filter((p) => !LATER_THAN_CONFIRMED.includes(byId.get(p.appointment_id)?.status ?? ''))
      .map((p) => p.id),
  );
  const paidOk = new Set(
    ok('pay')
      .filter((o) => o.paymentOutcome === 'captured')
      .map((o) => o.appointmentId),
  );
  fail(
    'acknowledged capture whose booking is neither confirmed nor cancelled',
    [...paidOk].filter((id) => !['cancelled', ...LATER_THAN_CONFIRMED].includes(byId.get(id!)?.status ?? '')),
  );
  const refunds = await db.selectFrom('refunds').select(['id', 'status', 'provider_payment_id']).execute();
  fail(
    'refund not processed',
    refunds.filter((r) => r.status !== 'processed').map((r) => r.id),
  );
  const asked = new Set(
    history.filter((o) => o.kind === 'pay' && o.outcome !== 'fail').map((o) => captureIdOf(o.requestId)),
  );
  fail(
    'capture no payment request asked for',
    [...payments.map((p) => p.provider_payment_id), ...refunds.map((r) => r.provider_payment_id)].filter(
      (id) => id !== null && !asked.has(id),
    ),
  );

  // Outbox: relayed, and one event per audited change.
  // (Reminders wait in the outbox until they are due: only due rows must have gone.)
  const unsent = await db
    .selectFrom('outbox')
    .select('id')
    .where('sent_at', 'is', null)
    .where('available_at', '<=', new Date())
    .execute();
  fail(
    'due outbox event never relayed',
    unsent.map((r) => r.id),
  );
  const { rows: eventMismatch } = await sql<{
    entity: string;
    action: string;
    audits: number;
    events: number;
  }>`
    WITH audits AS (
      SELECT entity_id AS entity, action, count(*)::int AS n FROM audit_logs
      WHERE action IN ('appointment.booked', 'appointment.cancelled', 'appointment.expired', 'appointment.rescheduled', 'appointment.confirmed')
      GROUP BY 1, 2),
    events AS (
      SELECT payload->>'appointmentId' AS entity, replace(topic, 'appointment.created', 'appointment.booked') AS action, count(*)::int AS n
      FROM outbox WHERE topic IN ('appointment.created', 'appointment.cancelled', 'appointment.expired', 'appointment.rescheduled', 'appointment.confirmed')
      GROUP BY 1, 2)
    SELECT coalesce(a.entity, e.entity) AS entity, coalesce(a.action, e.action) AS action,
           coalesce(a.n, 0) AS audits, coalesce(e.n, 0) AS events
    FROM audits a FULL JOIN events e ON a.entity = e.entity AND a.action = e.action
    WHERE a.n IS DISTINCT FROM e.n
       OR (coalesce(a.action, e.action) <> 'appointment.rescheduled' AND coalesce(a.n, e.n) > 1)`.execute(db);
  fail('change without exactly one audit row and one event', eventMismatch);

  // Notifications: each delivery sent, and sent once.
  const deliveries = await db
    .selectFrom('notification_deliveries')
    .select(['outbox_id', 'channel', 'status', 'attempts'])
    .execute();
  fail(
    'notification not delivered',
    deliveries.filter((d) => d.status !== 'sent'),
  );
  const mails = (await readdir(opts.mailDir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml'));
  // A message goes twice only when a run died between handing it over and recording it: its
  // claim went stale and a later run (attempts > 1) sent it again. Never lost, never more.
  const emails = deliveries.filter((d) => d.channel === 'email' && d.status === 'sent');
  const retaken = emails.filter((d) => d.attempts > 1).length;
  if (mails.length < emails.length || mails.length > emails.length + retaken)
    violations.push(
      `e-mails handed over ${mails.length} times for ${emails.length} sent deliveries (${retaken} taken over)`,
    );

  const audit = await opts.verifyAudit();
  if (!audit.ok) violations.push(`audit chain does not verify: ${audit.reason}`);
  // What was checked, so that a clean result is not an empty one.
  const facts: Record<string, number> = {
    ...Object.fromEntries([...Map.groupBy(appointments, (a) => a.status)].map(([k, v]) => [k, v.length])),
    captures: payments.filter((p) => p.provider_payment_id).length,
    refunds: refunds.length,
    storedAnswers: stored.length,
    notifications: deliveries.length,
    emails: mails.length,
  };
  return { violations, facts };
}
