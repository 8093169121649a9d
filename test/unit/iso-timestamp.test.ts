import { describe, expect, it } from 'vitest';
import { isoTimestamp } from '../../src/lib/iso-timestamp.ts';

describe('isoTimestamp', () => {
  it('prints what toISOString prints, over every day from 1970 to 2200 and at the edges of a day', () => {
    const wrong: string[] = [];
    let checked = 0;
    for (let day = 0; day < 84_000; day++) {
      for (const ms of [0, 1, 999, 1000, 59_999, 3_599_999, 43_200_123, 86_399_999]) {
        const date = new Date(day * 86_400_000 + ms);
        if (isoTimestamp(date) !== date.toISOString())
          wrong.push(`${date.toISOString()}: ${isoTimestamp(date)}`);
        checked++;
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(checked).toBe(84_000 * 8);
  });

  it('prints what toISOString prints at random instants up to year 9999, leap days and years included', () => {
    const instants = ['2000-02-29T23:59:59.999Z', '2100-03-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'];
    for (const text of instants) expect(isoTimestamp(new Date(text))).toBe(text);
    const wrong: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const date = new Date(Math.floor(Math.random() * 253_402_300_800_000));
      if (isoTimestamp(date) !== date.toISOString())
        wrong.push(`${date.toISOString()}: ${isoTimestamp(date)}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('leaves dates before 1970 and after 9999 to toISOString, and throws on an invalid date', () => {
    for (const text of [
      '1969-12-31T23:59:59.999Z',
      '0001-01-01T00:00:00.000Z',
      '+010000-01-01T00:00:00.000Z',
    ]) {
      expect(isoTimestamp(new Date(text))).toBe(text);
    }
    expect(() => isoTimestamp(new Date(NaN))).toThrow(RangeError);
  });
});
