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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'amrutam' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
