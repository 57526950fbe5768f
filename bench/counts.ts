/** Requests seen under `prefix`, from the receiver's per-path counts. */
export function countUnder(counts: Record<string, number>, prefix: string): number {
  let total = 0;
  for (const [path, n] of Object.entries(counts)) if (path.startsWith(prefix)) total += n;
  return total;
}
