import { describe, expect, it } from 'vitest';
import { cookieValue } from './cookie-session.ts';

// The Cookie header parser: no dependency, so its edge cases are pinned here.
describe('cookieValue', () => {
  it('reads the first pair of that name, trimmed, percent-decoded when well-formed', () => {
    expect(cookieValue('amrutam_refresh=abc', 'amrutam_refresh')).toBe('abc');
    expect(cookieValue(' a=1 ;  amrutam_refresh = abc ; b=2', 'amrutam_refresh')).toBe('abc');
    expect(cookieValue('amrutam_refresh=a%20b; amrutam_refresh=second', 'amrutam_refresh')).toBe('a b');
    expect(cookieValue('amrutam_refresh=a=b', 'amrutam_refresh')).toBe('a=b');
    expect(cookieValue('amrutam_refresh="abc"', 'amrutam_refresh')).toBe('abc');
    expect(cookieValue('amrutam_refresh=%E0%A4%A', 'amrutam_refresh')).toBe('%E0%A4%A');
    expect(cookieValue('x_amrutam_refresh=abc; flag', 'amrutam_refresh')).toBeUndefined();
    expect(cookieValue('', 'amrutam_refresh')).toBeUndefined();
    expect(cookieValue(undefined, 'amrutam_refresh')).toBeUndefined();
  });
});
