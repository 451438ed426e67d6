import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ExistingSlot, generateSlots, planSlots, type Schedule } from './plan.ts';
import { zonedDate, zonedInstant } from './timezone.ts';

const iso = (slots: Array<{ startsAt: Date }>) => slots.map((s) => s.startsAt.toISOString());
const schedule = (overrides: Partial<Schedule>): Schedule => ({
  timezone: 'Asia/Kolkata',
  rules: [],
  overrides: [],
  bufferMinutes: 0,
  horizonDays: 7,
  ...overrides,
});

describe('time zones (independent of the process TZ)', () => {
  it('converts wall-clock readings to instants, including DST gaps and repeats', () => {
    expect(zonedInstant('Asia/Kolkata', '2026-03-02', 9 * 60)?.toISOString()).toBe(
      '2026-03-02T03:30:00.000Z',
    );
    expect(zonedInstant('Europe/London', '2026-03-29', 60)).toBeNull(); // 01:00 never happens
    expect(zonedInstant('Europe/London', '2026-03-29', 120)?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(zonedInstant('Europe/London', '2026-10-25', 90)?.toISOString()).toBe('2026-10-25T00:30:00.000Z'); // earlier of two
    expect(zonedInstant('America/New_York', '2026-11-01', 90)?.toISOString()).toBe(
      '2026-11-01T05:30:00.000Z',
    );
    expect(zonedDate('Asia/Kolkata', new Date('2026-03-01T19:00:00Z'))).toBe('2026-03-02');
  });
});

describe('generateSlots', () => {
  it('Asia/Kolkata: Monday 09:00–11:00, 30-minute slots', () => {
    const s = schedule({
      rules: [{ weekday: 1, start: '09:00', end: '11:00', slotMinutes: 30, mode: 'video' }],
    });
    const slots = generateSlots(s, new Date('2026-03-01T00:00:00Z')); // Sunday
    expect(iso(slots)).toEqual([
      '2026-03-02T03:30:00.000Z',
      '2026-03-02T04:00:00.000Z',
      '2026-03-02T04:30:00.000Z',
      '2026-03-02T05:00:00.000Z',
    ]);
    expect(
      slots.every((x) => x.endsAt.getTime() - x.startsAt.getTime() === 30 * 60_000 && x.mode === 'video'),
    ).toBe(true);
  });

  it('a buffer separates slots and a slot must end inside its window', () => {
    const s = schedule({
      bufferMinutes: 10,
      rules: [{ weekday: 1, start: '09:00', end: '11:00', slotMinutes: 30, mode: 'audio' }],
    });
    expect(iso(generateSlots(s, new Date('2026-03-01T00:00:00Z')))).toEqual([
      '2026-03-02T03:30:00.000Z',
      '2026-03-02T04:10:00.000Z',
      '2026-03-02T04:50:00.000Z',
    ]);
  });

  it('Europe/London, spring forward: the skipped hour has no slots, later ones shift to BST', () => {
    const s = schedule({
      timezone: 'Europe/London',
      horizonDays: 3,
      rules: [{ weekday: 7, start: '00:30', end: '03:30', slotMinutes: 30, mode: 'video' }],
    });
    expect(iso(generateSlots(s, new Date('2026-03-27T12:00:00Z')))).toEqual([
      '2026-03-29T00:30:00.000Z', // 00:30 GMT
      '2026-03-29T01:00:00.000Z', // 02:00 BST
      '2026-03-29T01:30:00.000Z',
      '2026-03-29T02:00:00.000Z', // 03:00 BST, ends 03:30 BST
    ]);
  });

  it('Europe/London, fall back: the same 09:00 rule is 09:00Z in winter and 08:00Z in summer', () => {
    const s = schedule({
      timezone: 'Europe/London',
      horizonDays: 14,
      rules: [{ weekday: 1, start: '09:00', end: '09:30', slotMinutes: 30, mode: 'video' }],
    });
    expect(iso(generateSlots(s, new Date('2026-10-15T00:00:00Z')))).toEqual([
      '2026-10-19T08:00:00.000Z',
      '2026-10-26T09:00:00.000Z',
    ]);
  });

  it('Europe/London, fall back night: the repeated hour is used once', () => {
    const s = schedule({
      timezone: 'Europe/London',
      horizonDays: 2,
      rules: [{ weekday: 7, start: '00:00', end: '03:00', slotMinutes: 60, mode: 'chat' }],
    });
    expect(iso(generateSlots(s, new Date('2026-10-24T12:00:00Z')))).toEqual([
      '2026-10-24T23:00:00.000Z', // 00:00 BST
      '2026-10-25T00:00:00.000Z', // 01:00 BST (the first 01:00)
      '2026-10-25T02:00:00.000Z', // 02:00 GMT
    ]);
  });

  it('overrides replace a date: a day off, or other hours', () => {
    const s = schedule({
      rules: [
        { weekday: 1, start: '09:00', end: '10:00', slotMinutes: 60, mode: 'video' },
        { weekday: 2, start: '09:00', end: '10:00', slotMinutes: 60, mode: 'video' },
      ],
      overrides: [
        { date: '2026-03-02', unavailable: true },
        { date: '2026-03-03', start: '18:00', end: '19:00', slotMinutes: 30, mode: 'chat' },
        { date: '2026-03-07', start: '10:00', end: '10:30', slotMinutes: 30, mode: 'audio' }, // a Saturday: extra hours
      ],
    });
    const slots = generateSlots(s, new Date('2026-03-01T00:00:00Z'));
    expect(iso(slots)).toEqual([
      '2026-03-03T12:30:00.000Z',
      '2026-03-03T13:00:00.000Z',
      '2026-03-07T04:30:00.000Z',
    ]);
  });

  it('never yields past slots and stops at the horizon', () => {
    const s = schedule({
      horizonDays: 2,
      rules: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({
        weekday,
        start: '09:00',
        end: '10:00',
        slotMinutes: 60,
        mode: 'video' as const,
      })),
    });
    // 09:30 IST on 2 March: today's slot has started, tomorrow's is in.
    expect(iso(generateSlots(s, new Date('2026-03-02T04:00:00Z')))).toEqual(['2026-03-03T03:30:00.000Z']);
  });
});

describe('planSlots', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  const weekly = schedule({
    rules: [{ weekday: 1, start: '09:00', end: '11:00', slotMinutes: 30, mode: 'video' }],
  });
  const asExisting = (
    slots: ReturnType<typeof generateSlots>,
    patch: (i: number) => Partial<ExistingSlot> = () => ({}),
  ): ExistingSlot[] =>
    slots.map((s, i) => ({ ...s, id: `s${i}`, status: 'open', source: 'schedule', ...patch(i) }));

  it('creates everything for a new schedule and nothing the second time', () => {
    const first = planSlots(weekly, [], now);
    expect(first.add).toHaveLength(4);
    expect(planSlots(weekly, asExisting(first.add), now)).toEqual({ add: [], remove: [] });
  });

  it('a changed schedule removes only open schedule slots; booked, held, blocked and manual stay', () => {
    const existing = asExisting(generateSlots(weekly, now), (i) => ({
      status: (['booked', 'open', 'held', 'open'] as const)[i],
    }));
    existing.push({
      id: 'manual',
      startsAt: new Date('2026-03-02T08:00:00Z'),
      endsAt: new Date('2026-03-02T08:30:00Z'),
      mode: 'chat',
      status: 'open',
      source: 'manual',
    });
    existing.push({
      id: 'blocked',
      startsAt: new Date('2026-03-02T09:00:00Z'),
      endsAt: new Date('2026-03-02T09:30:00Z'),
      mode: 'chat',
      status: 'blocked',
      source: 'schedule',
    });
    // New hours: 10:00–12:00 with 60-minute slots.
    const moved = schedule({
      rules: [{ weekday: 1, start: '10:00', end: '12:00', slotMinutes: 60, mode: 'video' }],
    });
    const plan = planSlots(moved, existing, now);
    expect(plan.remove.sort()).toEqual(['s1', 's3']);
    // 10:00 overlaps the held 10:00 slot (s2) so it is not added; 11:00 is free.
    expect(iso(plan.add)).toEqual(['2026-03-02T05:30:00.000Z']);
  });

  it('property: applying a plan leaves no overlaps and a second plan is empty', () => {
    const ruleArb = fc.record({
      weekday: fc.integer({ min: 1, max: 7 }),
      startHour: fc.integer({ min: 0, max: 20 }),
      hours: fc.integer({ min: 1, max: 3 }),
      slotMinutes: fc.constantFrom(15, 20, 30, 45, 60),
      mode: fc.constantFrom('video' as const, 'audio' as const, 'chat' as const),
    });
    fc.assert(
      fc.property(
        fc.constantFrom('Asia/Kolkata', 'Europe/London', 'America/New_York'),
        fc.array(ruleArb, { maxLength: 4 }),
        fc.array(ruleArb, { maxLength: 4 }),
        fc.integer({ min: 0, max: 20 }),
        fc.date({
          min: new Date('2026-01-01T00:00:00Z'),
          max: new Date('2026-12-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (timezone, rulesA, rulesB, buffer, at, bookedPicks) => {
          const toRules = (rs: typeof rulesA) =>
            // One window per weekday keeps the rules valid (no overlapping windows on a day).
            [...new Map(rs.map((r) => [r.weekday, r])).values()].map((r) => ({
              weekday: r.weekday,
              start: `${String(r.startHour).padStart(2, '0')}:00`,
              end: `${String(r.startHour + r.hours).padStart(2, '0')}:00`,
              slotMinutes: r.slotMinutes,
              mode: r.mode,
            }));
          const a = schedule({ timezone, rules: toRules(rulesA), bufferMinutes: buffer, horizonDays: 10 });
          const b = schedule({ timezone, rules: toRules(rulesB), bufferMinutes: buffer, horizonDays: 10 });
          const first = asExisting(planSlots(a, [], at).add);
          for (const pick of bookedPicks) if (first.length > 0) first[pick % first.length]!.status = 'booked';
          const plan = planSlots(b, first, at);
          const after = [
            ...first.filter((s) => !plan.remove.includes(s.id)),
            ...plan.add.map((s, i) => ({
              ...s,
              id: `n${i}`,
              status: 'open' as const,
              source: 'schedule' as const,
            })),
          ].sort((x, y) => x.startsAt.getTime() - y.startsAt.getTime());
          for (let i = 1; i < after.length; i++)
            expect(after[i]!.startsAt >= after[i - 1]!.endsAt).toBe(true);
          expect(after.filter((s) => s.status === 'booked')).toHaveLength(
            first.filter((s) => s.status === 'booked').length,
          );
          expect(planSlots(b, after, at)).toEqual({ add: [], remove: [] });
        },
      ),
      { numRuns: 150 },
    );
  });
});
