import { createAnalytics } from './modules/analytics/service.ts';
import { createAppointmentService } from './modules/appointments/service.ts';
import {
  type CheckpointStore,
  fileCheckpointStore,
  installIdOf,
  redisCheckpointStore,
} from './modules/audit/checkpoints.ts';
import { createAuditService } from './modules/audit/service.ts';
import { createRevocations } from './modules/auth/revocations.ts';
import { createAuthService } from './modules/auth/service.ts';
import { createLoginThrottle } from './modules/auth/throttle.ts';
import { createTokenService } from './modules/auth/tokens.ts';
import { createSlotFeed } from './modules/availability/live.ts';
import { createReadModel } from './modules/availability/read-model.ts';
import { type AvailabilityService, createAvailabilityService } from './modules/availability/service.ts';
import { createDeadLetters } from './modules/dead-letters/service.ts';
import { createDoctorService } from './modules/doctors/service.ts';
import { createNotifications } from './modules/notifications/service.ts';
import { createOutbox } from './modules/outbox/service.ts';
import { createPaymentEvents } from './modules/payments/events.ts';
import type { PaymentProvider } from './modules/payments/provider.ts';
import { razorpayProvider } from './modules/payments/razorpay.ts';
import { createRefunds } from './modules/payments/refunds.ts';
import { type SandboxProvider, sandboxProvider } from './modules/payments/sandbox.ts';
import { createPaymentService } from './modules/payments/service.ts';
import { createRecordsService } from './modules/records/service.ts';
import { createReviews } from './modules/reviews/service.ts';
import { jitsiProvider, livekitProvider } from './modules/rooms/providers.ts';
import { createRooms } from './modules/rooms/service.ts';
import type { Db } from './platform/db/index.ts';
import { createPartitionMaintenance } from './platform/db/partitions.ts';
import { createIdempotencyStore } from './platform/idempotency-store.ts';
import { observedQueue } from './platform/job-metrics.ts';
import { createMailer } from './platform/mail.ts';
import type { Platform } from './platform/platform.ts';
import { createSmsSender } from './platform/sms.ts';
import { tracedQueue } from './platform/traced-queue.ts';
import { traceparentOf } from './platform/tracing.ts';

/**
 * The audit service over `db`: the platform's database, or a restored copy of it (a backup carries
 * its install id, so the copy is checked against the same signed checkpoint).
 */
export function auditServiceOf(platform: Platform, db: Db = platform.db) {
  const { config } = platform;
  const installId = installIdOf(db);
  const checkpoints: CheckpointStore =
    config.audit.checkpointStore === 'redis' && platform.kv.redis
      ? redisCheckpointStore(platform.kv.redis, config.redisKeyPrefix, installId)
      : fileCheckpointStore(config.dataDir, installId);
  return createAuditService({
    db,
    clock: platform.clock,
    signingKey: platform.signingKey,
    checkpoints,
    metrics: platform.metrics,
    logger: platform.logger,
  });
}

/** The domain services, wired from one Platform. API, worker and CLI all build them the same way. */
export function createServices(platform: Platform) {
  const { config, db, clock, logger, metrics } = platform;
  const audit = auditServiceOf(platform);
  const revocations = createRevocations({
    db,
    kv: platform.kv,
    clock,
    logger,
    accessTtlSeconds: config.jwt.accessTtlSeconds,
  });
  const tokens = createTokenService(
    platform.signingKey,
    clock,
    { issuer: config.jwt.issuer, accessTtlSeconds: config.jwt.accessTtlSeconds },
    (sessionId, userId) => revocations.refusal(sessionId, userId),
  );
  const throttle = createLoginThrottle(
    platform.kv.counters,
    {
      maxFailuresPerAccount: config.rateLimit.loginMaxFailuresPerAccount,
      maxFailuresPerIp: config.rateLimit.loginMaxFailuresPerIp,
      windowSeconds: config.rateLimit.loginFailureWindowSeconds,
    },
    logger,
  );
  const observed = observedQueue(platform.kv.queue, metrics);
  const queue = platform.tracing ? tracedQueue(observed, platform.tracing) : observed;
  const outbox = createOutbox({
    db,
    clock,
    queue,
    metrics,
    logger,
    traceparent: traceparentOf(platform.tracing),
  });
  const mailer = createMailer({ ...config.mail, dataDir: config.dataDir }, logger);
  const feed = createSlotFeed(platform.kv, logger);
  // Verification makes a doctor's schedule generate slots, and a new time zone moves them; any
  // profile change is news to readers.
  let availability: AvailabilityService | undefined;
  const doctors = createDoctorService({
    db,
    clock,
    reads: platform.reads,
    audit,
    changed: async (doctorId, { regenerate }) => {
      await feed.changed(doctorId);
      if (regenerate) await availability?.regenerate(doctorId);
    },
  });
  // Every instance hears of every change: the doctor's reads go to the primary for a moment (the
  // replica may not have it yet). A change without slot events is a profile change (or everything):
  // cached searches go, and searches read the primary for that moment too.
  feed.onChange((doctorId, _version, events) => {
    platform.reads.pin(`doctor:${doctorId}`);
    if (events.length === 0) {
      platform.reads.pin('search');
      doctors.profilesChanged();
    }
  });
  const readModel = createReadModel({
    reads: platform.reads,
    clock,
    feed,
    shared: platform.kv.mode === 'redis' ? platform.kv.cache : undefined,
    logger,
    metrics,
    checkMs: config.slotCache.checkMs,
    maxSlots: config.slotCache.maxSlots,
  });
  availability = createAvailabilityService({
    db,
    clock,
    audit,
    doctors,
    feed,
    readModel,
    logger,
    maxScheduleSlots: config.schedule.maxSlots,
  });
  const auth = createAuthService({
    db,
    clock,
    cipher: platform.cipher,
    tokens,
    throttle,
    revocations,
    audit,
    outbox,
    mailer,
    counters: platform.kv.counters,
    metrics,
    logger,
    // A doctor's name is in their public profile: the doctors module keeps its search text.
    nameChanged: (tx, userId) => doctors.nameChanged(tx, userId),
    settings: {
      refreshTtlDays: config.jwt.refreshTtlDays,
      refreshReuseGraceSeconds: config.jwt.refreshReuseGraceSeconds,
      secureCookies: config.env !== 'development',
      mfaRequiredRoles: config.mfaRequiredRoles,
      publicUrl: config.publicUrl,
      passwordReset: config.passwordReset,
    },
  });
  const sandbox: SandboxProvider | null =
    config.paymentProvider === 'sandbox' ? sandboxProvider(platform.webhookSecret) : null;
  const provider: PaymentProvider =
    sandbox ?? razorpayProvider({ ...config.payments.razorpay, webhookSecret: platform.webhookSecret });
  const refunds = createRefunds({ db, clock, provider, outbox, metrics, logger });
  const payments = createPaymentService({ db, clock, provider, refunds });
  const idempotencyStore = createIdempotencyStore(db);
  const appointments = createAppointmentService({
    db,
    clock,
    cipher: platform.cipher,
    keys: idempotencyStore,
    audit,
    outbox,
    payments,
    feed,
    metrics,
    logger,
    settings: {
      holdSeconds: config.bookingHoldSeconds,
      ...config.bookingLimits,
      ...config.changePolicy,
    },
    windows: config.consultation,
  });
  const rooms = createRooms({
    db,
    clock,
    audit,
    appointments,
    windows: config.consultation,
    provider:
      config.video.provider === 'livekit'
        ? livekitProvider(config.video, platform.videoSecret, clock)
        : jitsiProvider(config.video, platform.videoSecret, clock),
  });
  const reviews = createReviews({ db, clock, audit, appointments, doctors });
  const paymentEvents = createPaymentEvents({
    db,
    clock,
    provider,
    refunds,
    bookings: appointments.port,
    audit,
    outbox,
    metrics,
    logger,
  });
  const records = createRecordsService({
    db,
    clock,
    cipher: platform.cipher,
    audit,
    outbox,
    logger,
    appointments,
    patients: auth,
    doctors,
    settings: { notesEditHours: config.records.notesEditHours, publicUrl: config.publicUrl },
  });
  const notifications = createNotifications({
    db,
    clock,
    audit,
    outbox,
    mailer,
    sms: createSmsSender(config.smsProvider, logger),
    sources: {
      appointment: (id) => appointments.summary(id),
      contacts: (ids) => auth.contacts(ids),
      doctorZone: async (id) => (await doctors.own(id)).timezone,
    },
    metrics,
    logger,
    publicUrl: config.publicUrl,
  });
  return {
    audit,
    tokens,
    revocations,
    auth,
    doctors,
    feed,
    readModel,
    availability,
    outbox,
    queue,
    sandbox,
    refunds,
    payments,
    paymentEvents,
    appointments,
    rooms,
    reviews,
    records,
    notifications,
    deadLetters: createDeadLetters({ db, queue, audit }),
    analytics: createAnalytics({ db, reads: platform.reads, clock }),
    idempotencyStore,
    partitions: createPartitionMaintenance({
      db,
      clock,
      metrics,
      retentionYears: config.records.retentionYears,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
