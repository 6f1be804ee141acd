import { backoffDelayMs, DeadlineError, withRetries, type RetryPolicy } from '../../src/retry.ts';
import type { FailureClass } from '../../src/failure-class.ts';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 16000 };

describe('full-jitter backoff', () => {
  it('waits a random share of base·2^(attempt-1), capped', () => {
    expect(backoffDelayMs(1, policy, () => 0.999)).toBe(999);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(2000);
    expect(backoffDelayMs(9, policy, () => 0.5)).toBe(8000);
    expect(backoffDelayMs(4, policy, () => 0)).toBe(0);
  });
});

async function run(failures: FailureClass[], options: { deadlineMs?: number } = {}) {
  const now = 1_000_000;
  const sleeps: number[] = [];
  const clock = { now: () => now, sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };
  const log: string[] = [];
  let calls = 0;
  let newTokens = 0;
  const result = await withRetries({
    what: 'STS AssumeRoleWithWebIdentity',
    policy,
    deadline: clock.now() + (options.deadlineMs ?? 60_000),
    clock,
    classify: (error) => error as FailureClass,
    describe: (error) => `Code-${String(error)}`,
    onNewToken: () => (newTokens += 1),
    log: (line) => log.push(line),
    attempt: async () => {
      calls += 1;
      const failure = failures[calls - 1];
      if (failure) throw failure;
      return 'credentials';
    }
  }).catch((error: unknown) => error);
  return { result, calls, log, sleeps, newTokens };
}

describe('withRetries', () => {
  it('retries transient failures with one log line each: attempt n of N, the error, the wait', async () => {
    const { result, calls, log, sleeps } = await run(['retry', 'retry']);
    expect(result).toBe('credentials');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([500, 1000]);
    expect(log).toEqual([
      'Attempt 1 of 5 for STS AssumeRoleWithWebIdentity failed: Code-retry; retrying in 0.5 s',
      'Attempt 2 of 5 for STS AssumeRoleWithWebIdentity failed: Code-retry; retrying in 1.0 s'
    ]);
  });

  it('stops at once on a permanent failure', async () => {
    const { result, calls, sleeps } = await run(['fail', 'retry']);
    expect(result).toBe('fail');
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('asks for a new token before retrying an expired one', async () => {
    const { result, newTokens } = await run(['new-token']);
    expect(result).toBe('credentials');
    expect(newTokens).toBe(1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const { result, calls } = await run(['retry', 'retry', 'retry', 'retry', 'retry', 'retry']);
    expect(result).toBe('retry');
    expect(calls).toBe(5);
  });

  it('ends at the deadline naming what it waited for', async () => {
    const { result, calls } = await run(['retry', 'retry', 'retry'], { deadlineMs: 400 });
    expect(result).toBeInstanceOf(DeadlineError);
    expect((result as Error).message).toBe(
      'Gave up waiting for STS AssumeRoleWithWebIdentity at the action-timeout-s deadline (last error: ' +
        'Code-retry): retry the job later or raise action-timeout-s'
    );
    expect(calls).toBe(1);
  });
});
