import { ConfigError, loadConfig } from './config.ts';
import { startBackgroundJobs } from './jobs.ts';
import { createPlatform } from './platform/platform.ts';
import { createServices } from './services.ts';

/** Background work for PostgreSQL deployments: audit sealing, slot horizons (and, later, queues and relays). */
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

  const shutdown = async (signal: string) => {
    platform.logger.info({ signal }, 'worker shutting down: finishing current jobs');
    await jobs.stop();
    await platform.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
