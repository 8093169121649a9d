// A command job whose env holds a sealed value that it prints: the stored log lines show `***`,
// never the value, on stdout and stderr, split across pipe reads or not, and a value of several
// lines line by line. The child still got the real value (it compares it itself).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../../src/db/schema/index.ts';
import { createSecretScrubber, sensitiveEnvValues } from '../../src/runtime/logs/secret-scrubber.ts';
import { createTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { until } from '../support/wait.ts';

const SECRET = 'pw-4c81d2e9f07a';
const PEM = 'line-one-aa11\nline-two-bb22';

let t: TestRuntime;
beforeAll(async () => {
  t = await createTestRuntime();
  // A shared machine under load may take minutes to boot PGlite and a runtime.
}, 240_000);
afterAll(() => t?.close());

const stored = async (runId: string) =>
  (await t.database.db.select().from(logLines).where(eq(logLines.runId, runId))).map((l) => l.message);

describe('sealed env values in command output', () => {
  it('are stored as *** in the run log lines', async () => {
    await t.createJob({
      name: 'echo-secret',
      command: {
        // stdout, stderr, and one line written in two reads (its halves apart in time) of the pipe.
        command: [
          'test "$DB_PASSWORD" = "pw-4c81d2e9f07a" && echo same',
          'echo "password is $DB_PASSWORD!"',
          'echo "to stderr $DB_PASSWORD" >&2',
          `printf 'split pw-4c81'; sleep 0.3; printf 'd2e9f07a end\\n'`,
          'printf "%s\\n" "$KEY"',
          'echo "short $SHORT_TOKEN stays"',
          'echo "port $PORT stays"',
        ].join('; '),
        env: { DB_PASSWORD: SECRET, KEY: PEM, SHORT_TOKEN: 'abc', PORT: '18080' },
      },
    });
    const runId = await t.start('echo-secret');
    expect((await t.waitForRun(runId, ['FAILED', 'FINISHED'], 150_000)).status).toBe('FINISHED');
    // The summary line is the last one written.
    const messages = await until('the run log to be stored', async () => {
      const lines = await stored(runId);
      return lines.some((l) => l.startsWith('command: exited with code 0')) ? lines : undefined;
    });
    expect(messages).toContain('same');
    expect(messages).toContain('password is ***!');
    expect(messages).toContain('to stderr ***');
    expect(messages).toContain('split *** end');
    expect(messages).toContain('***');
    expect(messages).toContain('short abc stays');
    // Not a secret by its name: ordinary output keeps it.
    expect(messages).toContain('port 18080 stays');
    const all = messages.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain('line-one-aa11');
    expect(all).not.toContain('line-two-bb22');
  }, 180_000);
});

describe('the scrubber', () => {
  it('takes the values of secret-looking env names only', () => {
    expect(
      sensitiveEnvValues({ DB_PASSWORD: 'a', API_KEY: 'b', GITHUB_TOKEN: 'c', PORT: 'd', JAVA_HOME: 'e' }),
    ).toEqual(['a', 'b', 'c']);
  });

  it('replaces a longer value whole before one it contains', () => {
    const scrub = createSecretScrubber(['abcd', 'xxabcdyy']);
    expect(scrub('1 xxabcdyy 2 abcd')).toBe('1 *** 2 ***');
    expect(createSecretScrubber([])('unchanged')).toBe('unchanged');
  }, 180_000);
});
