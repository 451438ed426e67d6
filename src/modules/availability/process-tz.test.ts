import { describe, expect, it } from 'vitest';

// Guards the TZ matrix itself: each vitest project really runs in the zone it names.
describe('process time zone', () => {
  it('is the one this test project was started with', () => {
    expect(process.env.TZ).toBeDefined();
    const expectedOffset = { UTC: 0, 'Asia/Kolkata': -330, 'America/New_York': 300 }[process.env.TZ!];
    expect(new Date('2026-01-15T12:00:00Z').getTimezoneOffset()).toBe(expectedOffset);
  });
});
