/**
 * A sliding one-minute window per key (an account): at most `perMinute` takes in any 60 seconds.
 * In memory, per process: it bounds what one account can ask of this process's dispatcher.
 */
export interface RateLimit {
  /** Take one; null when allowed, else the seconds until one is free again. */
  take(key: number): number | null;
}

const WINDOW_MS = 60_000;

export function createRateLimit(perMinute: number, now: () => number = Date.now): RateLimit {
  const taken = new Map<number, number[]>();
  return {
    take(key) {
      const at = now();
      const recent = (taken.get(key) ?? []).filter((time) => time > at - WINDOW_MS);
      if (recent.length >= perMinute) {
        taken.set(key, recent);
        return Math.max(1, Math.ceil((recent[0] + WINDOW_MS - at) / 1000));
      }
      recent.push(at);
      taken.set(key, recent);
      // Forget keys with nothing recent, so the map holds only active accounts.
      if (taken.size > 1000) for (const [other, times] of taken) if (times[times.length - 1] <= at - WINDOW_MS) taken.delete(other);
      return null;
    },
  };
}
