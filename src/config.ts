import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int('must be an integer')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const url = (protocols: string[]) =>
  z.string().refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), {
    message: `must be a URL starting with ${protocols.join(' or ')}//`,
  });
const roles = ['patient', 'doctor', 'admin'] as const;

/** true/false, a hop count, or a comma-separated list of proxy addresses and CIDR ranges. */
const trustProxy = z.string().transform((v, ctx): boolean | number | string => {
  if (/^(true|false)$/.test(v)) return v === 'true';
  if (/^\d+$/.test(v)) return Number(v);
  const entries = v.split(',').map((s) => s.trim());
  const blocks = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    try {
      if (family === 0) throw new Error();
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) blocks.addAddress(address, type);
      else blocks.addSubnet(address, Number.parseInt(bits, 10), type);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `must be true, false, a hop count, or addresses/CIDR ranges (bad entry "${entry}")`,
      });
      return z.NEVER;
    }
  }
  return entries.join(',');
});

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  DATABASE_POOL_MAX: int(1, 1000).default(10),
  DATA_DIR: z.string().min(1).default('./.data'),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z.string().default('amrutam:'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_ISSUER: z.string().min(1).default('amrutam'),
  ACCESS_TOKEN_TTL_SECONDS: int(60, 3600).default(900),
  REFRESH_TOKEN_TTL_DAYS: int(1, 365).default(30),
  REFRESH_REUSE_GRACE_SECONDS: int(0, 60).default(10),
  PHI_ENCRYPTION_KEYS: z.string().optional(),
  BOOTSTRAP_ADMIN_EMAIL: z.email('must be an e-mail address').optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  MFA_REQUIRED_ROLES: list
    .pipe(z.array(z.enum(roles, { message: 'must list only patient, doctor, admin' })))
    .default([]),
  PAYMENT_PROVIDER: z.enum(['sandbox', 'razorpay']).default('sandbox'),
  BOOKING_HOLD_SECONDS: int(30, 86_400).default(600),
  BOOKING_MAX_UNPAID_HOLDS: int(1, 100).default(3),
  BOOKING_MAX_UPCOMING_PER_DOCTOR: int(1, 1000).default(3),
  BOOKING_HOLD_COOLDOWN_SECONDS: int(0, 86_400).default(900),
  CANCELLATION_FULL_REFUND_HOURS: int(0, 720).default(24),
  LATE_CANCELLATION_REFUND_PERCENT: int(0, 100).default(0),
  RESCHEDULE_CUTOFF_HOURS: int(0, 720).default(24),
  CONSULTATION_START_EARLY_MINUTES: int(0, 240).default(15),
  CONSULTATION_NO_SHOW_AFTER_MINUTES: int(0, 240).default(10),
  ROOM_OPENS_MINUTES_BEFORE: int(0, 240).default(15),
  ROOM_CLOSES_MINUTES_AFTER: int(0, 480).default(30),
  VIDEO_PROVIDER: z.enum(['jitsi', 'livekit']).default('jitsi'),
  JITSI_DOMAIN: z.string().min(1).default('meet.jit.si'),
  JITSI_APP_ID: z.string().min(1).default('amrutam'),
  JITSI_APP_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  LIVEKIT_URL: url(['wss:', 'ws:', 'https:', 'http:']).optional(),
  LIVEKIT_API_KEY: z.string().min(1).optional(),
  LIVEKIT_API_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  SCHEDULE_MAX_SLOTS: int(1, 100_000).default(10_000),
  SCHEDULE_CHANGES_PER_MINUTE: int(1).default(10),
  PAYMENT_WEBHOOK_SECRET: z.string().min(8).optional(),
  RAZORPAY_API_URL: url(['https:', 'http:']).default('https://api.razorpay.com/v1'),
  RAZORPAY_KEY_ID: z.string().optional(),
  RAZORPAY_KEY_SECRET: z.string().optional(),
  RATE_LIMIT_PER_MINUTE: int(1).default(600),
  RATE_LIMIT_SYNC_MS: int(10, 10_000).default(250),
  AUTH_RATE_LIMIT_PER_MINUTE: int(1).default(30),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: int(1).default(5),
  LOGIN_MAX_FAILURES_PER_IP: int(1).default(50),
  LOGIN_FAILURE_WINDOW_SECONDS: int(1).default(900),
  CORS_ORIGINS: list.default([]),
  BODY_LIMIT_BYTES: int(1024).default(1_048_576),
  TRUST_PROXY: trustProxy.default(false),
  REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000).default(500),
  SLOT_CACHE_CHECK_MS: int(10, 10_000).default(250),
  SLOT_CACHE_MAX_SLOTS: int(0).default(500_000),
  AUDIT_CHECKPOINT_STORE: z.enum(['file', 'redis']).optional(),
  AUDIT_SEAL_INTERVAL_MS: int(50, 3_600_000).default(1000),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).default('Amrutam <no-reply@localhost>'),
  PUBLIC_URL: url(['https:', 'http:']).default('http://localhost:3000'),
  PASSWORD_RESET_TTL_MINUTES: int(5, 1440).default(30),
  PASSWORD_RESET_MAILS_PER_HOUR: int(1, 100).default(3),
  NOTES_EDIT_HOURS_AFTER_COMPLETION: int(0, 8760).default(72),
  SMS_PROVIDER: z.enum(['log']).default('log'),
  RUN_JOBS: bool.default(true),
  MIGRATE_ON_START: bool.optional(),
});

export type Role = (typeof roles)[number];

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  dataDir: string;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** A Redis command that takes longer fails, and the caller degrades (to the database, or no cache). */
  redisCommandTimeoutMs: number;
  logLevel: string;
  jwt: {
    privateKeyPem: string | undefined;
    publicKeyPem: string | undefined;
    issuer: string;
    accessTtlSeconds: number;
    refreshTtlDays: number;
    refreshReuseGraceSeconds: number;
  };
  phiEncryptionKeys: string | undefined;
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
  records: { notesEditHours: number }; // hours after completion the doctor may still save notes
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
    dataDir: path.resolve(e.DATA_DIR),
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    jwt: {
      privateKeyPem: e.JWT_PRIVATE_KEY,
      publicKeyPem: e.JWT_PUBLIC_KEY,
      issuer: e.JWT_ISSUER,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
      refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    },
    phiEncryptionKeys: e.PHI_ENCRYPTION_KEYS,
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
    records: { notesEditHours: e.NOTES_EDIT_HOURS_AFTER_COMPLETION },
    runJobs: e.RUN_JOBS,
    migrateOnStart: e.MIGRATE_ON_START ?? true,
  };
}
