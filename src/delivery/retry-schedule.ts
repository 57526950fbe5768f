/** Inputs of {@link nextAttemptAt}: everything it depends on, so it stays a pure function. */
export interface RetryInput {
  /** Attempts made so far, including the one that just failed (1 after the first). */
  attempt: number;
  /** Delays in ms before attempts 2, 3, ... */
  schedule: readonly number[];
  /** When the failed attempt was recorded. */
  now: Date;
  /** Fraction of random spread, e.g. 0.2 for ±20 %. */
  jitter: number;
  /** A number in [0, 1). */
  random: () => number;
  /** HTTP status of the failed attempt, if any. */
  status?: number | null;
  /** The `Retry-After` header of the failed attempt, if any. */
  retryAfter?: string | null;
}

/**
 * When to try again after a failed attempt, or null when the schedule is spent.
 *
 * The delay is the schedule's entry ±jitter. On 429 and 503 a `Retry-After` (seconds or an HTTP
 * date) replaces it, clamped between the scheduled delay and twice it, so a receiver can slow us
 * down but neither stall a delivery forever nor make us hammer it.
 */
export function nextAttemptAt(input: RetryInput): Date | null {
  const { attempt, schedule, now, jitter, random } = input;
  if (!Number.isInteger(attempt) || attempt < 1) throw new TypeError(`nextAttemptAt(): attempt must be a whole number >= 1, got ${attempt}.`);
  if (attempt > schedule.length) return null;
  const scheduled = schedule[attempt - 1];
  let delay = scheduled * (1 + jitter * (2 * random() - 1));
  if ((input.status === 429 || input.status === 503) && input.retryAfter) {
    const asked = parseRetryAfter(input.retryAfter, now);
    if (asked !== null) delay = Math.min(Math.max(asked, scheduled), 2 * scheduled);
  }
  return new Date(now.getTime() + Math.round(delay));
}

/** `Retry-After` in ms from `now`: delta-seconds or an HTTP date; null when unreadable. */
export function parseRetryAfter(value: string, now: Date): number | null {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date always names a weekday or month; anything else (e.g. "-1") is not one.
  if (!/^[A-Za-z]{3},? /.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now.getTime());
}
