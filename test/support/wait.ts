// Waiting for facts, the one way the tests do it: poll until a probe sees the fact, with a generous
// limit (these machines are shared and some days twice as busy), and fail saying what never came.
import type { Runtime } from '../../src/runtime/index.ts';

export interface UntilOptions {
  /** How long the fact may take before the test fails (default 30 s: a limit, not an expectation). */
  timeoutMs?: number;
  /** How often to look (default 50 ms). */
  intervalMs?: number;
  /** Extra words for the failure message, read only when the wait fails (e.g. the run's history). */
  explain?: () => Promise<string> | string;
}

/**
 * Polls `probe` until it returns a truthy value and returns that value. A probe that throws is
 * retried too (a row or file may not exist yet); its last error is in the failure message.
 */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  options: UntilOptions = {},
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const { timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      const value = await probe();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const extra = options.explain ? `: ${await options.explain()}` : '';
      const cause = last instanceof Error ? ` (last probe threw: ${last.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${extra}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Returns once each coordinator has run a whole tick that began after this call: the positive
 * control of a "nothing happened" assertion on coordinator work (schedules, retries, follow-ups,
 * placement). `tick()` joins a tick already in flight, which may have read the database before the
 * caller's fact, so a second one is awaited after it.
 */
export async function wholeTicks(...coordinators: Runtime['coordinator'][]): Promise<void> {
  for (const coordinator of coordinators) {
    if (!coordinator) continue;
    await coordinator.tick();
    await coordinator.tick();
  }
}
