import { buildWeb } from '../web/build.ts';

/** The browser tests serve web/dist: build it once, before any file runs, when its sources changed. */
export default async function setup() {
  await buildWeb({ ifStale: true });
}
