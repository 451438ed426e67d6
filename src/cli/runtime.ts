/**
 * What commands run with: the platform, the services, the app. Loaded only when a command runs
 * (`runtime()` in command.ts), so `--help` and a wrong argument are answered at once, without
 * loading the whole product.
 */
export { default as pino } from 'pino';
export { migrateToLatest } from '../db/migrate.ts';
export { phiRotateCommand } from '../db/phi-rotate.ts';
export { seedLoadCommand } from '../db/seed/command.ts';
export { seedDemo } from '../db/seed/demo.ts';
export { writeOpenApiDocument } from '../http/openapi/export.ts';
export { describePartitions } from '../platform/db/partitions.ts';
export { createLogger } from '../platform/logger.ts';
export { createPlatform } from '../platform/platform.ts';
export { auditServiceOf, createServices } from '../services.ts';
