// Codes that mean PostgreSQL or Redis is unreachable or refusing work, not that the request is wrong.
const DEPENDENCY_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P03',
  '08000',
  '08003',
  '08006',
  '53300',
]);

/** Whether `error` says PostgreSQL or Redis is unreachable or refusing work (not that the request is wrong). */
export function isDependencyDown(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof e.code === 'string' && DEPENDENCY_DOWN_CODES.has(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|Connection is closed|enableOfflineQueue|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}
