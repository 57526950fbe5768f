/**
 * Milliseconds since the Unix epoch with sub-millisecond resolution. Every process on the machine
 * reads the same wall clock, so a time taken in one process (a commit) can be compared with a
 * time taken in another (an arrival at the receiver).
 */
export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolve after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
