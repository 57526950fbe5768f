/** Wait before retrying a database step after `failures` failures in a row: 200 ms doubling, at most 5 s. */
export function backoffMs(failures: number): number {
  return Math.min(100 * 2 ** failures, 5000);
}
