import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/**
 * The environment as the product reads it: each variable's type, range and default. `loadConfig`
 * (config.ts) turns it into the typed Config and checks what depends on several variables.
 */

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
export const roles = ['patient', 'doctor', 'admin'] as const;

/** `kid:base64key[,kid:base64key…]`, each key 32 random bytes (AES-256); never echoed in a message. */
const keyList = z.string().transform((v, ctx) => {
  const keys: Array<{ kid: string; key: Buffer }> = [];
  for (const entry of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    const kid = entry.slice(0, Math.max(at, 0));
    const key = Buffer.from(entry.slice(at + 1), 'base64');
    if (at <= 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(kid) || key.length !== 32) {
      ctx.addIssue({
        code: 'custom',
        message: 'each entry must be <kid>:<base64 of 32 random bytes>, comma-separated (the first encrypts)',
      });
      return z.NEVER;
    }
    keys.push({ kid, key });
  }
  return keys;
});

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

/** Every variable the product reads, with its default (`.env.example` documents each; a test keeps them in step). */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  DATABASE_POOL_MAX: int(1, 1000).default(10),
  DATABASE_REPLICA_URL: url(['postgres:', 'postgresql:']).optional(),
  REPLICA_PIN_SECONDS: int(1, 300).default(5),
  DATA_DIR: z.string().min(1).default('./.data'),
  WEB_DIR: z.string().optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z.string().default('amrutam:'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // OpenTelemetry tracing (the standard variables): off unless an endpoint is set.
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ message: 'must be a number' })
    .min(0, 'must be between 0 and 1')
    .max(1, 'must be between 0 and 1')
    .default(1),
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_ISSUER: z.string().min(1).default('amrutam'),
  ACCESS_TOKEN_TTL_SECONDS: int(60, 3600).default(900),
  REFRESH_TOKEN_TTL_DAYS: int(1, 365).default(30),
  REFRESH_REUSE_GRACE_SECONDS: int(0, 60).default(10),
  PHI_ENCRYPTION_KEYS: z.string().optional(),
  BACKUP_ENCRYPTION_KEY: keyList.optional(),
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
  API_DOCS: z.enum(['on', 'off'], { message: 'must be on or off' }).optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  WS_MAX_PER_IP: int(1, 100_000).default(20),
  WS_MAX_CONNECTIONS: int(1, 1_000_000).default(5000),
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
  MEDICAL_RECORDS_RETENTION_YEARS: int(1, 100).default(7),
  SMS_PROVIDER: z.enum(['log']).default('log'),
  RUN_JOBS: bool.default(true),
  MIGRATE_ON_START: bool.optional(),
});
