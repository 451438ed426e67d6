/** How much of a captured payment a cancellation refunds (SPEC §3.4), in minor units. */
export function refundOnCancel(
  by: 'patient' | 'doctor' | 'admin',
  startsAt: Date,
  now: Date,
  paidMinor: number,
  policy: { fullRefundHours: number; lateRefundPercent: number },
): number {
  if (by !== 'patient') return paidMinor;
  const early = startsAt.getTime() - now.getTime() >= policy.fullRefundHours * 3_600_000;
  return early ? paidMinor : Math.floor((paidMinor * policy.lateRefundPercent) / 100);
}
