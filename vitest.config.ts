import { defineConfig } from 'vitest/config';

// Scheduling must not depend on the server's zone: these files also run under two other TZs.
const schedulingTests = ['src/modules/availability/**/*.test.ts', 'test/availability.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file has its own database and Redis prefix, so files can run side by side.
    fileParallelism: true,
    projects: [
      {
        extends: true,
        test: { name: 'UTC', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], env: { TZ: 'UTC' } },
      },
      {
        extends: true,
        test: { name: 'Asia/Kolkata', include: schedulingTests, env: { TZ: 'Asia/Kolkata' } },
      },
      {
        extends: true,
        test: { name: 'America/New_York', include: schedulingTests, env: { TZ: 'America/New_York' } },
      },
    ],
  },
});
