import { createAppointmentService } from './modules/appointments/service.ts';
import {
  type CheckpointStore,
  fileCheckpointStore,
  redisCheckpointStore,
} from './modules/audit/checkpoints.ts';
import { createAuditService } from './modules/audit/service.ts';
import { createAuthService } from './modules/auth/service.ts';
import { createLoginThrottle } from './modules/auth/throttle.ts';
import { createTokenService } from './modules/auth/tokens.ts';
import { createSlotFeed } from './modules/availability/live.ts';
import { createAvailabilityService } from './modules/availability/service.ts';
import { createDoctorService } from './modules/doctors/service.ts';
import { createOutbox } from './modules/outbox/service.ts';
import type { PaymentProvider } from './modules/payments/provider.ts';
import { razorpayProvider } from './modules/payments/razorpay.ts';
import { type SandboxProvider, sandboxProvider } from './modules/payments/sandbox.ts';
import { createPaymentService } from './modules/payments/service.ts';
import { createIdempotencyStore } from './platform/idempotency-store.ts';
import type { Platform } from './platform/platform.ts';

/** The domain services, wired from one Platform. API, worker and CLI all build them the same way. */
export function createServices(platform: Platform) {
  const { config, db, clock, logger, metrics } = platform;
  const checkpoints: CheckpointStore =
    config.audit.checkpointStore === 'redis' && platform.kv.redis
      ? redisCheckpointStore(platform.kv.redis, config.redisKeyPrefix)
      : fileCheckpointStore(config.dataDir);
  const audit = createAuditService({
    db,
    clock,
    signingKey: platform.signingKey,
    checkpoints,
    metrics,
    logger,
  });
  const tokens = createTokenService(platform.signingKey, clock, {
    issuer: config.jwt.issuer,
    accessTtlSeconds: config.jwt.accessTtlSeconds,
  });
  const throttle = createLoginThrottle(
    platform.kv.counters,
    {
      maxFailuresPerAccount: config.rateLimit.loginMaxFailuresPerAccount,
      maxFailuresPerIp: config.rateLimit.loginMaxFailuresPerIp,
      windowSeconds: config.rateLimit.loginFailureWindowSeconds,
    },
    logger,
  );
  const auth = createAuthService({
    db,
    clock,
    cipher: platform.cipher,
    tokens,
    throttle,
    audit,
    metrics,
    logger,
    settings: {
      refreshTtlDays: config.jwt.refreshTtlDays,
      refreshReuseGraceSeconds: config.jwt.refreshReuseGraceSeconds,
      mfaRequiredRoles: config.mfaRequiredRoles,
    },
  });
  const doctors = createDoctorService({ db, clock, audit });
  const feed = createSlotFeed(platform.kv, logger);
  const availability = createAvailabilityService({ db, clock, audit, doctors, feed, logger });
  const outbox = createOutbox({ db, clock, queue: platform.kv.queue, metrics, logger });
  const sandbox: SandboxProvider | null =
    config.paymentProvider === 'sandbox' ? sandboxProvider(config.payments.webhookSecret) : null;
  const provider: PaymentProvider =
    sandbox ??
    razorpayProvider({ ...config.payments.razorpay, webhookSecret: config.payments.webhookSecret });
  const payments = createPaymentService({ db, clock, provider, outbox, metrics, logger });
  const appointments = createAppointmentService({
    db,
    clock,
    locks: platform.kv.locks,
    audit,
    outbox,
    payments,
    feed,
    metrics,
    logger,
    settings: { holdSeconds: config.bookingHoldSeconds, ...config.cancellation },
  });
  const idempotencyStore = createIdempotencyStore(db);
  return {
    audit,
    tokens,
    auth,
    doctors,
    feed,
    availability,
    outbox,
    queue: platform.kv.queue,
    sandbox,
    payments,
    appointments,
    idempotencyStore,
  };
}

export type Services = ReturnType<typeof createServices>;
