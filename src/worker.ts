import { ConfigError, loadConfig } from './config.ts';
import { startBackgroundJobs } from './jobs.ts';
import { createPlatform } from './platform/platform.ts';
import { createServices } from './services.ts';

// A signal during start-up has nothing to drain yet: exit cleanly. Replaced once running.
let shutdown: (signal: string) => Promise<void> = async () => process.exit(0);
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

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
  const jobs = startBackgroundJobs(services, config, platform.logger);
  platform.logger.info('worker started');

  shutdown = async (signal: string) => {
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
