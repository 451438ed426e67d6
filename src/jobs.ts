import type { Logger } from 'pino';
import { RESET_TOPIC } from './modules/auth/password-reset.ts';
import { LOGIN_ALERT_TOPIC } from './modules/auth/sign-in.ts';
import { NOTIFICATION_TOPICS } from './modules/notifications/service.ts';
import { describePartitions } from './platform/db/partitions.ts';
import { BEAT_MS, beat } from './platform/job-heartbeat.ts';
import { startPeriodic } from './platform/periodic.ts';
import type { Platform } from './platform/platform.ts';
import type { Services } from './services.ts';

const DAY_MS = 86_400_000;

/** What the outbox's topics do when the queue delivers them. */
export function registerJobHandlers(services: Services, log: Logger) {
  const { queue } = services;
  queue.process('payment.refund', async (data) => {
    await services.refunds.execute((data as { refundId: string }).refundId);
  });
  queue.process(RESET_TOPIC, async (data) => {
    await services.auth.mailPasswordReset((data as { userId: string }).userId);
  });
  queue.process(LOGIN_ALERT_TOPIC, async (data) => {
    await services.auth.mailLoginAlert((data as { userId: string }).userId);
  });
  queue.process('prescription.issued', async (data) => {
    await services.records.renderPdf((data as { prescriptionId: string }).prescriptionId);
  });
  for (const topic of NOTIFICATION_TOPICS) {
    queue.process(topic, (data, { id }) => services.notifications.handle(topic, data, id));
  }
  // Events nothing acts on yet: acknowledged, so they don't wait in the queue.
  for (const topic of [
    'appointment.created',
    'appointment.started',
    'appointment.completed',
    'appointment.no_show',
  ]) {
    queue.process(topic, async (data) => {
      log.debug({ topic, data }, 'event delivered');
    });
  }
}

/** Background work: in the worker, and in the API process unless RUN_JOBS=false. */
export function startBackgroundJobs(services: Services, platform: Platform) {
  const { config, logger: log } = platform;
  registerJobHandlers(services, log);
  const jobs = [
    startPeriodic('job runner heartbeat', () => beat(platform.kv, platform.clock), {
      intervalMs: BEAT_MS,
      firstDelayMs: 0,
      log,
    }),
    startPeriodic('outbox relay', () => services.outbox.relay(), { intervalMs: 250, firstDelayMs: 250, log }),
    startPeriodic('hold expiry', () => services.appointments.expireHolds(), {
      intervalMs: 2_000,
      firstDelayMs: 1_000,
      log,
    }),
    startPeriodic('idempotency key expiry', () => services.idempotencyStore.expire(new Date()), {
      intervalMs: 3_600_000,
      firstDelayMs: 60_000,
      log,
    }),
    // Refunds whose job died or gave up are asked again: a refund is never dropped.
    startPeriodic('refund sweep', () => services.refunds.sweep(), {
      intervalMs: 5 * 60_000,
      firstDelayMs: 30_000,
      log,
    }),
    startPeriodic('outbox pruning', () => services.outbox.prune(7 * DAY_MS), {
      intervalMs: DAY_MS,
      firstDelayMs: 120_000,
      log,
    }),
    startPeriodic('notification records pruning', () => services.notifications.prune(), {
      intervalMs: DAY_MS,
      firstDelayMs: 150_000,
      log,
    }),
    startPeriodic('audit sealing', () => services.audit.seal(), {
      intervalMs: config.audit.sealIntervalMs,
      log,
    }),
    // Daily, and once shortly after start so a deployment that was down catches up.
    startPeriodic(
      'slot horizon extension',
      async () => {
        const result = await services.availability.extendHorizons();
        if (result.added + result.removed > 0) log.info(result, 'slot horizons extended');
      },
      { intervalMs: DAY_MS, firstDelayMs: 5_000, log },
    ),
    // Analytics rollups follow the raw rows within seconds (one refresher at a time, any process).
    startPeriodic('analytics rollups', () => services.analytics.refresh(), {
      intervalMs: 2_000,
      firstDelayMs: 3_000,
      log,
    }),
    // Daily, and shortly after start: months ahead made, months past the retention detached.
    startPeriodic(
      'partition maintenance',
      async () => {
        for (const report of await services.partitions.run()) {
          const line = describePartitions(report);
          if (report.busy || report.defaultRows > 0) log.warn({ partitions: report }, line);
          else if (report.created.length + report.detached.length > 0) log.info({ partitions: report }, line);
        }
      },
      { intervalMs: DAY_MS, firstDelayMs: 10_000, log },
    ),
  ];
  return {
    async stop() {
      await Promise.all(jobs.map((j) => j.stop()));
    },
  };
}
