/** Counts per key that drop out at zero. */
export class Tally {
  private readonly counts = new Map<number, number>();
  get(key: number): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: number, by: number): void {
    const next = this.get(key) + by;
    if (next <= 0) this.counts.delete(key);
    else this.counts.set(key, next);
  }
  keys(): number[] {
    return [...this.counts.keys()];
  }
}
