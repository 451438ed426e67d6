/**
 * Is memory growing, or only moving? The soak's verdict on a series of (minute, MB) samples.
 *
 * A heap breathes: garbage collection makes RSS rise and fall by tens of MB, so one sample against
 * another says nothing. The test fits a least-squares line to the samples after the warm-up (the
 * first quarter of the run, when caches, pools and JIT fill up) and calls it growth only when both
 * hold:
 * - the slope is significant: more than three standard errors above zero (noise alone rarely gets
 *   there), and
 * - it matters: over the measured window it adds more than `minGrowthMb` or `minGrowthShare` of
 *   the mean, whichever is larger (a real but tiny creep, e.g. a growing histogram, is not a leak).
 */

export interface TrendSample {
  minute: number;
  mb: number;
}

export interface Trend {
  /** Samples the fit used (after the warm-up). */
  samples: number;
  slopeMbPerMinute: number;
  standardError: number;
  /** The fitted line's rise over the window it was fitted on. */
  growthMb: number;
  meanMb: number;
  /** The larger of minGrowthMb and minGrowthShare × mean. */
  allowedGrowthMb: number;
  growing: boolean;
}

export interface TrendLimits {
  warmupShare: number;
  minGrowthMb: number;
  minGrowthShare: number;
}

export const DEFAULT_LIMITS: TrendLimits = { warmupShare: 0.25, minGrowthMb: 10, minGrowthShare: 0.1 };

const round2 = (n: number) => Math.round(n * 100) / 100;

export function rssTrend(all: TrendSample[], limits: TrendLimits = DEFAULT_LIMITS): Trend {
  const last = all.at(-1)?.minute ?? 0;
  const points = all.filter((s) => s.minute >= last * limits.warmupShare);
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.minute, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.mb, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.minute - meanX) ** 2;
    sxy += (p.minute - meanX) * (p.mb - meanY);
  }
  const slope = n >= 3 && sxx > 0 ? sxy / sxx : 0;
  let residuals = 0;
  for (const p of points) residuals += (p.mb - (meanY + slope * (p.minute - meanX))) ** 2;
  const standardError = n >= 3 && sxx > 0 ? Math.sqrt(residuals / (n - 2) / sxx) : Number.POSITIVE_INFINITY;
  const span = n > 0 ? points[n - 1]!.minute - points[0]!.minute : 0;
  const growthMb = slope * span;
  const allowedGrowthMb = Math.max(limits.minGrowthMb, limits.minGrowthShare * meanY);
  return {
    samples: n,
    slopeMbPerMinute: round2(slope),
    standardError: round2(standardError),
    growthMb: round2(growthMb),
    meanMb: round2(meanY),
    allowedGrowthMb: round2(allowedGrowthMb),
    growing: slope > 3 * standardError && growthMb > allowedGrowthMb,
  };
}
