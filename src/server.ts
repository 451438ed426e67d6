import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { startBackgroundJobs } from './jobs.ts';
import { DataDirInUse } from './platform/db/dir-lock.ts';
import { createPlatform } from './platform/platform.ts';
import { onStopSignal } from './platform/signals.ts';

const SHUTDOWN_TIMEOUT_MS = 30_000;

// A signal during start-up has nothing to drain yet: exit cleanly. Replaced once listening.
let shutdown: (signal: string) => Promise<void> = async () => process.exit(0);
onStopSignal((reason) => void shutdown(reason));

async function main() {
  const config = loadConfig();
  const platform = await createPlatform(config);
  const { app, services, startDraining } = await buildApp(platform);

  if (config.bootstrapAdmin) {
    const { created } = await services.auth.ensureAdmin({ ...config.bootstrapAdmin, name: 'Administrator' });
    if (created) platform.logger.info({ email: config.bootstrapAdmin.email }, 'bootstrap admin created');
  }
  const jobs = config.runJobs ? startBackgroundJobs(services, platform) : null;

  await app.listen({ port: config.port, host: config.host });

  let stopping = false;
  shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    platform.logger.info({ signal }, 'shutting down: draining requests');
    setTimeout(() => {
      platform.logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    startDraining();
    await app.close(); // stops accepting, waits for in-flight requests
    await jobs?.stop();
    await platform.close();
    platform.logger.info('stopped');
    process.exit(0);
  };
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirInUse) {
    console.error(error.message);
  } else {
    console.error('failed to start:', error);
  }
  process.exit(1);
});
