import { ActionError } from './errors.ts';
import type { FailureClass } from './failure-class.ts';
import type { RequestSettings } from './settings.ts';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Per-request limits; each is also cut to what is left before the overall deadline. */
export const REQUEST_TIMEOUTS = { connectMs: 5000, responseMs: 10000 };
// A 20 s cap (as the AWS SDKs use) lets 12 attempts span a 30 s STS brown-out in all but ~0.07% of runs.
const BACKOFF = { baseDelayMs: 1000, maxDelayMs: 20000 };

/** The retry policy for every request of this run: the user's attempts with our backoff. */
export function retryPolicyFor(requests: RequestSettings): RetryPolicy {
  return { maxAttempts: requests.maxAttempts, ...BACKOFF };
}

/** Full-jitter exponential backoff: a random wait up to base·2^(attempt-1), capped. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** A per-request timeout, cut to what is left before the deadline (at least 1 ms). */
export function withinRemaining(limitMs: number, remainingMs: number): number {
  return Math.max(1, Math.min(limitMs, remainingMs));
}

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export interface RetryOptions<T> {
  /** What is being waited for, for the log and the final error: "STS AssumeRoleWithWebIdentity". */
  what: string;
  policy: RetryPolicy;
  /** Epoch milliseconds after which no new attempt starts. */
  deadline: number;
  clock: RetryClock;
  classify(error: unknown): FailureClass;
  /** A short "Code (message)" for the retry log line. */
  describe(error: unknown): string;
  /** Called before retrying after a 'new-token' failure. */
  onNewToken?(): void;
  log(line: string): void;
  attempt(remainingMs: number): Promise<T>;
}

/** Runs `attempt` until it succeeds, a failure is not transient, attempts run out, or the deadline passes. */
export async function withRetries<T>(options: RetryOptions<T>): Promise<T> {
  const { policy, clock } = options;
  for (let attempt = 1; ; attempt += 1) {
    const remaining = options.deadline - clock.now();
    try {
      return await options.attempt(remaining);
    } catch (error) {
      const failureClass = options.classify(error);
      if (failureClass === 'fail' || attempt >= policy.maxAttempts) throw error;
      const wait = backoffDelayMs(attempt, policy, clock.random);
      if (clock.now() + wait >= options.deadline) {
        throw new DeadlineError(options.what, options.describe(error));
      }
      options.log(
        `Attempt ${attempt} of ${policy.maxAttempts} for ${options.what} failed: ${options.describe(error)}; retrying ` +
          `in ${(wait / 1000).toFixed(1)} s`
      );
      if (failureClass === 'new-token') options.onNewToken?.();
      await clock.sleep(wait);
    }
  }
}

/** The overall deadline (action-timeout-s) passed while waiting for something. */
export class DeadlineError extends ActionError {
  constructor(what: string, lastFailure: string) {
    super(
      `Gave up waiting for ${what} at the action-timeout-s deadline (last error: ${lastFailure}): retry the job later ` +
        `or raise action-timeout-s`
    );
  }
}
