// Zeta reads request bodies with Jackson, which keeps 64-bit ids exact; the dialect quotes integer
// literals a double cannot hold before JSON.parse, and nothing else.
import { describe, expect, it } from 'vitest';
import { quoteBigIntegers } from '../../src/shim/seatunnel/request-body.ts';
import { parseJobId } from '../../src/shim/seatunnel/ids.ts';

const parse = (text: string) => JSON.parse(quoteBigIntegers(text));

describe('quoteBigIntegers', () => {
  it('keeps every digit of an id past 2^53, and the number type of the rest', () => {
    expect(
      parse('{"jobId": 733584788375666689, "n": 12, "f": 1.5, "e": 1e300, "neg": -9223372036854775808}'),
    ).toEqual({
      jobId: '733584788375666689',
      n: 12,
      f: 1.5,
      e: 1e300,
      neg: '-9223372036854775808',
    });
    expect(parse('[9007199254740991, 9007199254740993]')).toEqual([9007199254740991, '9007199254740993']);
  });

  it('leaves strings alone, escaped quotes included', () => {
    const text = '{"a": "x\\" 733584788375666689 \\\\", "b": ["12345678901234567890"], "c": true, "d": null}';
    expect(parse(text)).toEqual({
      a: 'x" 733584788375666689 \\',
      b: ['12345678901234567890'],
      c: true,
      d: null,
    });
  });

  it('leaves invalid JSON invalid', () => {
    expect(() => parse('{"a": 733584788375666689')).toThrow();
    expect(() => parse('{"a": "unterminated')).toThrow();
  });
});

describe('parseJobId', () => {
  it('reads what Long.valueOf reads and refuses the rest as Zeta does', () => {
    expect(parseJobId('+0012')).toBe('12');
    expect(parseJobId('9223372036854775807')).toBe('9223372036854775807');
    expect(parseJobId('-9223372036854775808')).toBe('-9223372036854775808');
    for (const bad of ['', '9223372036854775808', '1.0', '0x10', ' 1']) {
      expect(() => parseJobId(bad)).toThrow(`For input string: "${bad}"`);
    }
  });
});
