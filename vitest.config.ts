import { defineConfig } from 'vitest/config';

// Scheduling must not depend on the server's zone: these files also run under two other TZs.
const schedulingTests = ['src/modules/availability/**/*.test.ts', 'test/availability.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file has its own database and Redis prefix, so files can run side by side. Two at a
    // time (vitest's default is cores − 1, one here): most files wait on processes, PostgreSQL or a
    // browser, so two cores run two files in ~0.6 of the time (measured: 1,098 s → 688 s).
    fileParallelism: true,
    maxWorkers: 2,
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
