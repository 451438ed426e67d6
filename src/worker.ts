import { ConfigError, loadConfig } from './config.ts';
import { startAuditSealer } from './modules/audit/sealer.ts';
import { createPlatform } from './platform/platform.ts';
import { createServices } from './services.ts';

/** Background work for PostgreSQL deployments: the audit sealer (and, later, queues and relays). */
async function main() {
  const config = loadConfig();
  if (!config.databaseUrl) {
    throw new ConfigError([
      'DATABASE_URL: the worker needs PostgreSQL; in embedded mode the API runs background jobs itself',
    ]);
  }
  const platform = await createPlatform(config);
  const services = createServices(platform);
  const sealer = startAuditSealer(services.audit, config.audit.sealIntervalMs, platform.logger);
  platform.logger.info('worker started');

  const shutdown = async (signal: string) => {
    platform.logger.info({ signal }, 'worker shutting down: finishing current jobs');
    await sealer.stop();
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
