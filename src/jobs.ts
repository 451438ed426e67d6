import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { startPeriodic } from './platform/periodic.ts';
import type { Services } from './services.ts';

const DAY_MS = 86_400_000;

/** Background work: in the worker, or inside the API process in embedded mode. */
export function startBackgroundJobs(services: Services, config: Config, log: Logger) {
  const jobs = [
    startPeriodic('audit sealing', () => services.audit.seal(), {
      intervalMs: config.audit.sealIntervalMs,
      log,
    }),
    // Daily, and once shortly after start so a deployment that was down catches up.
    startPeriodic(
      'slot horizon extension',
      async () => {
        const result = await services.availability.extendHorizons();
        if (result.added + result.removed > 0) log.info(result, 'slot horizons extended');
      },
      { intervalMs: DAY_MS, firstDelayMs: 5_000, log },
    ),
  ];
  return {
    async stop() {
      await Promise.all(jobs.map((j) => j.stop()));
    },
  };
}
