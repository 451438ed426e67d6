import type { Logger } from 'pino';
import type { AuditService } from './service.ts';

/**
 * Seals the audit chain every `intervalMs` (never two runs at once in this process; other
 * processes are kept out by the advisory lock). `stop()` waits for a run in progress.
 */
export function startAuditSealer(audit: AuditService, intervalMs: number, log: Logger) {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = () => {
    running = audit
      .seal()
      .catch((error: unknown) => log.error({ err: error }, 'audit sealing failed; will retry'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
