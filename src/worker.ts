import { ConfigError, loadConfig } from './config.ts';
import { startBackgroundJobs } from './jobs.ts';
import { createPlatform } from './platform/platform.ts';
import { onStopSignal } from './platform/signals.ts';
import { createServices } from './services.ts';

// A signal during start-up has nothing to drain yet: exit cleanly. Replaced once running.
let shutdown: (signal: string) => Promise<void> = async () => process.exit(0);
onStopSignal((reason) => void shutdown(reason));

/** Background work for PostgreSQL deployments: outbox relay and jobs, hold expiry, audit sealing, slot horizons. */
async function main() {
  const config = loadConfig();
  if (!config.databaseUrl) {
    throw new ConfigError([
      'DATABASE_URL: the worker needs PostgreSQL; in embedded mode the API runs background jobs itself',
    ]);
  }
  const platform = await createPlatform(config);
  const services = createServices(platform);
  const jobs = startBackgroundJobs(services, platform);
  platform.logger.info('worker started');

  let stopping = false;
  shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    platform.logger.info({ signal }, 'worker shutting down: finishing current jobs');
    await jobs.stop();
    await platform.close();
    process.exit(0);
  };
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
