import path from 'node:path';
import { envSchema, type roles } from './config-env.ts';

export type Role = (typeof roles)[number];

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  /**
   * An optional streaming replica for reads that may be a little behind (search, public slots,
   * analytics); `pinSeconds`: read-your-writes window, and the most the replica may lag when read.
   */
  replica: { url: string; pinSeconds: number } | undefined;
  dataDir: string;
  /** The built web app served at `/` (null: the API only). */
  webDir: string | null;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** A Redis command that takes longer fails, and the caller degrades (to the database, or no cache). */
  redisCommandTimeoutMs: number;
  logLevel: string;
  /**
   * OpenTelemetry traces over OTLP/HTTP (protobuf), off when `endpoint` is undefined. `sampleRatio`
   * of new traces are kept; a request that arrives inside a sampled trace is always kept.
   */
  tracing: {
    endpoint: string | undefined;
    headers: Record<string, string>;
    serviceName: string;
    sampleRatio: number;
  };
  jwt: {
    privateKeyPem: string | undefined;
    publicKeyPem: string | undefined;
    issuer: string;
    accessTtlSeconds: number;
    refreshTtlDays: number;
    refreshReuseGraceSeconds: number;
  };
  phiEncryptionKeys: string | undefined;
  /** Backups are encrypted with the first (none: not encrypted); every one listed decrypts. */
  backupEncryptionKeys: Array<{ kid: string; key: Buffer }>;
  bootstrapAdmin: { email: string; password: string } | undefined;
  mfaRequiredRoles: Role[];
  paymentProvider: 'sandbox' | 'razorpay';
  payments: {
    /**
     * Signs gateway webhooks (Razorpay's webhook secret; the sandbox signs the same way). Never a
     * default: unset with the sandbox, a random one is generated into DATA_DIR.
     */
    webhookSecret: string | undefined;
    razorpay: { apiUrl: string; keyId: string; keySecret: string };
  };
  bookingHoldSeconds: number;
  /** Anti-hoarding (OWASP API6): unpaid holds per patient, upcoming bookings per patient per doctor. */
  bookingLimits: { maxUnpaidHolds: number; maxUpcomingPerDoctor: number; relapseCooldownSeconds: number };
  changePolicy: { fullRefundHours: number; lateRefundPercent: number; rescheduleCutoffHours: number };
  /**
   * The video provider. Its secret signs join tokens: LIVEKIT_API_SECRET, or JITSI_APP_SECRET (in
   * development, generated into DATA_DIR when unset; see platform.ts).
   */
  video:
    | { provider: 'jitsi'; domain: string; appId: string; secret: string | undefined }
    | { provider: 'livekit'; url: string; apiKey: string; secret: string };
  /** When a consultation may start, be marked a no-show, and its video room be joined. */
  consultation: {
    startEarlyMinutes: number;
    noShowAfterMinutes: number;
    roomOpensBeforeMinutes: number;
    roomClosesAfterMinutes: number;
  };
  schedule: { maxSlots: number; changesPerMinute: number };
  slotCache: { checkMs: number; maxSlots: number };
  rateLimit: {
    perMinute: number;
    /** How often an instance shares its request counts (see http/rate-limit.ts for the error bound). */
    syncMs: number;
    authPerMinute: number;
    loginMaxFailuresPerAccount: number;
    loginMaxFailuresPerIp: number;
    loginFailureWindowSeconds: number;
  };
  corsOrigins: string[];
  /** Swagger UI and the documents at /api-docs (API_DOCS; default off in production). */
  apiDocs: boolean;
  /**
   * /metrics: with a token, only for `Authorization: Bearer <token>`; without one, open in
   * development and test, not served in production.
   */
  metrics: { token: string | undefined; served: boolean };
  /** Live availability sockets per client address and per process; more are refused (1013). */
  sockets: { maxPerIp: number; maxTotal: number };
  bodyLimitBytes: number;
  /** Fastify's trustProxy: true/false, a hop count, or addresses/CIDR ranges. */
  trustProxy: boolean | number | string;
  audit: { checkpointStore: 'file' | 'redis'; sealIntervalMs: number };
  /** E-mail over SMTP (unset: .eml files in DATA_DIR/outbox-mail, never in production); SMS by provider. */
  mail: { smtpUrl: string | undefined; from: string };
  smsProvider: 'log';
  /** Where users open the web app (links in e-mails), without a trailing slash. */
  publicUrl: string;
  passwordReset: { ttlMinutes: number; mailsPerHour: number };
  records: {
    notesEditHours: number; // hours after completion the doctor may still save notes
    /** Months of appointments and audit rows that ended longer ago are detached (kept, in schema archive). */
    retentionYears: number;
  };
  /**
   * Run the background jobs (outbox relay, hold expiry, refunds, audit sealing, slot horizons)
   * inside the API process too. On by default, so one `npm start` is a whole product; operators who
   * scale out set it false on API instances and run `npm run worker`.
   */
  runJobs: boolean;
  migrateOnStart: boolean;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Reads the environment once; every bad value is reported by variable name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set": `.env` files and compose files often leave them blank.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (Boolean(e.JWT_PRIVATE_KEY) !== Boolean(e.JWT_PUBLIC_KEY)) {
    problems.push('JWT_PRIVATE_KEY/JWT_PUBLIC_KEY: set both or neither');
  }
  if (e.NODE_ENV === 'production') {
    if (!e.JWT_PRIVATE_KEY) problems.push('JWT_PRIVATE_KEY: required in production (PEM, Ed25519 or RSA)');
    if (!e.PHI_ENCRYPTION_KEYS) problems.push('PHI_ENCRYPTION_KEYS: required in production');
    if (!e.PAYMENT_WEBHOOK_SECRET) problems.push('PAYMENT_WEBHOOK_SECRET: required in production');
    // Password-reset mails must reach people, not a folder on one server.
    if (!e.SMTP_URL) problems.push('SMTP_URL: required in production (smtp:// or smtps://)');
    // The sandbox lets a patient mark their own payment captured.
    if (e.PAYMENT_PROVIDER === 'sandbox') {
      problems.push('PAYMENT_PROVIDER: sandbox is for development and tests; use razorpay in production');
    }
  }
  if (Boolean(e.BOOTSTRAP_ADMIN_EMAIL) !== Boolean(e.BOOTSTRAP_ADMIN_PASSWORD)) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL/BOOTSTRAP_ADMIN_PASSWORD: set both or neither');
  }
  if (e.PAYMENT_PROVIDER === 'razorpay') {
    for (const name of ['RAZORPAY_KEY_ID', 'RAZORPAY_KEY_SECRET', 'PAYMENT_WEBHOOK_SECRET'] as const) {
      if (!e[name]) problems.push(`${name}: required when PAYMENT_PROVIDER=razorpay`);
    }
  }
  if (e.VIDEO_PROVIDER === 'livekit') {
    for (const name of ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'] as const) {
      if (!e[name]) problems.push(`${name}: required when VIDEO_PROVIDER=livekit`);
    }
  } else if (e.NODE_ENV === 'production' && !e.JITSI_APP_SECRET) {
    problems.push('JITSI_APP_SECRET: required in production with VIDEO_PROVIDER=jitsi');
  }
  if (e.DATABASE_REPLICA_URL && !e.DATABASE_URL) {
    problems.push('DATABASE_REPLICA_URL: needs DATABASE_URL (embedded mode has no replica)');
  }
  if (e.AUDIT_CHECKPOINT_STORE === 'redis' && !e.REDIS_URL) {
    problems.push('AUDIT_CHECKPOINT_STORE: redis needs REDIS_URL');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    replica: e.DATABASE_REPLICA_URL
      ? { url: e.DATABASE_REPLICA_URL, pinSeconds: e.REPLICA_PIN_SECONDS }
      : undefined,
    dataDir: path.resolve(e.DATA_DIR),
    webDir:
      e.WEB_DIR === '' ? null : path.resolve(e.WEB_DIR ?? path.join(import.meta.dirname, '../web/dist')),
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    tracing: {
      endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
      headers: Object.fromEntries(
        (e.OTEL_EXPORTER_OTLP_HEADERS ?? '')
          .split(',')
          .map((pair) => pair.split('=').map((s) => decodeURIComponent(s.trim())))
          .filter(([name, value]) => name && value !== undefined),
      ),
      serviceName: e.OTEL_SERVICE_NAME ?? 'amrutam',
      sampleRatio: e.OTEL_TRACES_SAMPLER_ARG,
    },
    jwt: {
      privateKeyPem: e.JWT_PRIVATE_KEY,
      publicKeyPem: e.JWT_PUBLIC_KEY,
      issuer: e.JWT_ISSUER,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
      refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    },
    phiEncryptionKeys: e.PHI_ENCRYPTION_KEYS,
    backupEncryptionKeys: e.BACKUP_ENCRYPTION_KEY ?? [],
    bootstrapAdmin:
      e.BOOTSTRAP_ADMIN_EMAIL && e.BOOTSTRAP_ADMIN_PASSWORD
        ? { email: e.BOOTSTRAP_ADMIN_EMAIL, password: e.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
    mfaRequiredRoles: e.MFA_REQUIRED_ROLES,
    paymentProvider: e.PAYMENT_PROVIDER,
    payments: {
      webhookSecret: e.PAYMENT_WEBHOOK_SECRET,
      razorpay: {
        apiUrl: e.RAZORPAY_API_URL,
        keyId: e.RAZORPAY_KEY_ID ?? '',
        keySecret: e.RAZORPAY_KEY_SECRET ?? '',
      },
    },
    bookingHoldSeconds: e.BOOKING_HOLD_SECONDS,
    bookingLimits: {
      maxUnpaidHolds: e.BOOKING_MAX_UNPAID_HOLDS,
      maxUpcomingPerDoctor: e.BOOKING_MAX_UPCOMING_PER_DOCTOR,
      relapseCooldownSeconds: e.BOOKING_HOLD_COOLDOWN_SECONDS,
    },
    changePolicy: {
      fullRefundHours: e.CANCELLATION_FULL_REFUND_HOURS,
      lateRefundPercent: e.LATE_CANCELLATION_REFUND_PERCENT,
      rescheduleCutoffHours: e.RESCHEDULE_CUTOFF_HOURS,
    },
    video:
      e.VIDEO_PROVIDER === 'livekit'
        ? {
            provider: 'livekit',
            url: e.LIVEKIT_URL ?? '',
            apiKey: e.LIVEKIT_API_KEY ?? '',
            secret: e.LIVEKIT_API_SECRET ?? '',
          }
        : { provider: 'jitsi', domain: e.JITSI_DOMAIN, appId: e.JITSI_APP_ID, secret: e.JITSI_APP_SECRET },
    consultation: {
      startEarlyMinutes: e.CONSULTATION_START_EARLY_MINUTES,
      noShowAfterMinutes: e.CONSULTATION_NO_SHOW_AFTER_MINUTES,
      roomOpensBeforeMinutes: e.ROOM_OPENS_MINUTES_BEFORE,
      roomClosesAfterMinutes: e.ROOM_CLOSES_MINUTES_AFTER,
    },
    schedule: { maxSlots: e.SCHEDULE_MAX_SLOTS, changesPerMinute: e.SCHEDULE_CHANGES_PER_MINUTE },
    slotCache: { checkMs: e.SLOT_CACHE_CHECK_MS, maxSlots: e.SLOT_CACHE_MAX_SLOTS },
    rateLimit: {
      perMinute: e.RATE_LIMIT_PER_MINUTE,
      syncMs: e.RATE_LIMIT_SYNC_MS,
      authPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
      loginMaxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      loginMaxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      loginFailureWindowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
    },
    corsOrigins: e.CORS_ORIGINS,
    apiDocs: (e.API_DOCS ?? (e.NODE_ENV === 'production' ? 'off' : 'on')) === 'on',
    metrics: { token: e.METRICS_TOKEN, served: Boolean(e.METRICS_TOKEN) || e.NODE_ENV !== 'production' },
    sockets: { maxPerIp: e.WS_MAX_PER_IP, maxTotal: e.WS_MAX_CONNECTIONS },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    trustProxy: e.TRUST_PROXY,
    audit: {
      // Shared by every process when Redis is there; a file in DATA_DIR otherwise.
      checkpointStore: e.AUDIT_CHECKPOINT_STORE ?? (e.REDIS_URL ? 'redis' : 'file'),
      sealIntervalMs: e.AUDIT_SEAL_INTERVAL_MS,
    },
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    smsProvider: e.SMS_PROVIDER,
    publicUrl: e.PUBLIC_URL.replace(/\/+$/, ''),
    passwordReset: {
      ttlMinutes: e.PASSWORD_RESET_TTL_MINUTES,
      mailsPerHour: e.PASSWORD_RESET_MAILS_PER_HOUR,
    },
    records: {
      notesEditHours: e.NOTES_EDIT_HOURS_AFTER_COMPLETION,
      retentionYears: e.MEDICAL_RECORDS_RETENTION_YEARS,
    },
    runJobs: e.RUN_JOBS,
    migrateOnStart: e.MIGRATE_ON_START ?? true,
  };
}
