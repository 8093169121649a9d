import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/runtime/executors/run-command.ts';

function split(chunks: (string | Buffer)[], maxBytes = 1024): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter(maxBytes, (l) => lines.push(l));
  for (const c of chunks) splitter.push(typeof c === 'string' ? Buffer.from(c) : c);
  splitter.flush();
  return lines;
}

describe('LineSplitter', () => {
  it('joins lines split across chunks and strips CR even when CR and LF arrive apart', () => {
    expect(split(['ab', 'c\r', '\nd', 'e\n\n', 'tail'])).toEqual(['abc', 'de', '', 'tail']);
  });

  it('keeps a lone CR inside a line', () => {
    expect(split(['a\rb\n'])).toEqual(['a\rb']);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const euro = Buffer.from('€\n'); // 3 bytes, then LF
    expect(split([euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)])).toEqual(['€']);
  });

  it('truncates on a character boundary and counts what it dropped', () => {
    expect(split(['abcdef\n', 'xy\n'], 4)).toEqual(['abcd …[truncated 2 bytes]', 'xy']);
    // '€€' is 6 bytes; a cap of 4 keeps the first € whole rather than half of the second.
    expect(split(['€€\r\n'], 4)).toEqual(['€ …[truncated 3 bytes]']);
    expect(split(['ab', 'cd', 'ef', 'gh'], 3)).toEqual(['abc …[truncated 5 bytes]']);
  });

  it('emits nothing for empty output', () => {
    expect(split([])).toEqual([]);
  });
});
