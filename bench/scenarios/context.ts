/**
 * What every scenario gets, and what one is: a function that fills its ScenarioRecord (numbers,
 * notes, problems of the product) and throws only when it could not measure (a harness error).
 * Scenarios run in the suite's order on one server, so anything booked comes from `supply`, which
 * never hands out a patient or a slot twice.
 */
import type { Scenario, Sizes } from '../config.ts';
import type { Outcome, ScenarioRecord } from '../outcome.ts';
import type { BenchEnvironment, Seeded } from '../setup.ts';
import type { Supply } from '../supply.ts';

export interface ScenarioContext {
  size: Sizes;
  embedded: boolean;
  /** Whether a scenario is selected in this run. */
  has(scenario: Scenario): boolean;
  env: BenchEnvironment;
  doctors: Seeded['doctors'];
  /** read-slots' paths, also served by ceiling-http's bare server. */
  readPaths: string[];
  supply: Supply;
  outcome: Outcome;
}

export type ScenarioRun = (ctx: ScenarioContext, record: ScenarioRecord) => Promise<void>;
