import { context, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Anything that could carry a secret is censored wherever it appears in a log object. Request
 * bodies are never logged at all; this is the second line of defence.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  ...[
    'password',
    'currentPassword',
    'newPassword',
    'accessToken',
    'refreshToken',
    'mfaToken',
    'code',
    'secret',
    'otpauthUrl',
    'recoveryCodes',
    'token',
  ].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

/**
 * JSON lines on stdout, written asynchronously (a request never waits for a write; what is
 * buffered is flushed when the process exits). Redaction applies to every line of this logger;
 * the access log (app.ts) logs only fields of its own and opts out of it, which makes its one
 * line per request about ten times cheaper.
 */
export function createLogger(level: string, destination?: DestinationStream, traced = false): Logger {
  return pino(
    {
      level,
      // Tracing on: every line written inside a span says which (a log line finds its trace).
      ...(traced ? { mixin: traceFields } : {}),
      base: { service: 'amrutam' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

function traceFields(): object {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * A request's logger, made only if the request logs something: most requests never do, and each
 * pino child costs its bindings' serialisation (and this logger's redaction) up front.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>, options: object): Logger {
  let child: Logger | undefined;
  const real = () => {
    child ??= parent.child(bindings, options);
    return child;
  };
  const lazy: Record<string, unknown> = {
    child: (b: Record<string, unknown>, o: object) => real().child(b, o),
    silent: () => {},
    get level() {
      return child?.level ?? parent.level;
    },
  };
  for (const level of LEVELS) {
    lazy[level] = (...args: unknown[]) => {
      if (parent.isLevelEnabled(level)) (real()[level] as (...a: unknown[]) => void)(...args);
    };
  }
  return lazy as unknown as Logger;
}
