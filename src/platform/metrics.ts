import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per platform, so several apps in one process (tests) never share series. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    httpProblems: new Counter({
      name: 'http_problems_total',
      help: 'Error answers (problem+json) by method, route template, status and problem code',
      labelNames: ['method', 'route', 'status', 'code'] as const,
      registers: [registry],
    }),
    authEvents: new Counter({
      name: 'auth_events_total',
      help: 'Authentication outcomes',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    bookingAttempts: new Counter({
      name: 'booking_attempts_total',
      help: 'Booking attempts by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    bookingDuration: new Histogram({
      name: 'booking_duration_seconds',
      help: 'Time to decide a booking (claim, insert, commit)',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    slotCache: new Counter({
      name: 'slot_cache_days_total',
      help: 'Days of public slot lists served, by where they came from: memory, shared (Redis) or database',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    slotCacheDrops: new Counter({
      name: 'slot_cache_drops_total',
      help: 'Cached doctors or days dropped, by why: change (a message or a write here), check (a version check found a change), stale (not checked in time), evicted',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    holdsExpired: new Counter({
      name: 'holds_expired_total',
      help: 'Unpaid holds expired',
      registers: [registry],
    }),
    payments: new Counter({
      name: 'payments_total',
      help: 'Payment events by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    auditSealed: new Counter({
      name: 'audit_rows_sealed_total',
      help: 'Audit rows chained by the sealer',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
