import fc from 'fast-check';
import { expect, it } from 'vitest';
import { rssTrend, type TrendSample } from '../bench/trend.ts';

// The soak's verdict (npm run soak) on memory samples taken once a minute: growth beyond noise fails.

const series = (minutes: number, mb: (minute: number) => number): TrendSample[] =>
  Array.from({ length: minutes + 1 }, (_, minute) => ({ minute, mb: mb(minute) }));

it('a flat series with garbage-collection noise is not growth', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -25, max: 25, noNaN: true }), { minLength: 31, maxLength: 31 }),
      (noise) => {
        const trend = rssTrend(series(30, (m) => 180 + noise[m]!));
        expect(trend.growing).toBe(false);
      },
    ),
  );
});

it('a sawtooth (caches filling then trimmed) is not growth', () => {
  expect(rssTrend(series(30, (m) => 150 + (m % 6) * 8)).growing).toBe(false);
});

it('a warm-up climb followed by a plateau is not growth', () => {
  expect(rssTrend(series(30, (m) => (m < 6 ? 100 + m * 15 : 190 + (m % 2)))).growing).toBe(false);
});

it('a steady leak of 2 MB a minute is growth, noise or not', () => {
  const noisy = series(30, (m) => 150 + 2 * m + (m % 3 === 0 ? 6 : -3));
  const trend = rssTrend(noisy);
  expect(trend.growing).toBe(true);
  expect(trend.slopeMbPerMinute).toBeCloseTo(2, 0);
});

it('a significant but tiny creep (under 10 % of the mean over the run) is not growth', () => {
  const trend = rssTrend(series(30, (m) => 200 + 0.3 * m));
  expect(trend.slopeMbPerMinute).toBeGreaterThan(3 * trend.standardError);
  expect(trend.growing).toBe(false);
});
