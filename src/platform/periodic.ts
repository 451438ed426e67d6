import type { Logger } from 'pino';

/**
 * Runs `task` every `intervalMs` (the first run after `firstDelayMs`), never two runs at once in
 * this process. Failures are logged and retried at the next tick. `stop()` waits for a run in progress.
 */
export function startPeriodic(
  name: string,
  task: () => Promise<unknown>,
  options: { intervalMs: number; firstDelayMs?: number; log: Logger },
) {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = () => {
    running = task()
      .catch((error: unknown) => options.log.error({ err: error, task: name }, `${name} failed; will retry`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };
  timer = setTimeout(tick, options.firstDelayMs ?? options.intervalMs);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export type Periodic = ReturnType<typeof startPeriodic>;
