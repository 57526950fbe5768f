import type { DataSource } from "typeorm";
import { PARK_STRAYS, PRUNE_EVENTS } from "./sql/prune";
import { statementsOf } from "../tables";

const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 500;

/**
 * Housekeeping, at most once a minute (by the injected clock): park stray deliveries of disabled
 * webhooks, and delete what retention allows, a small batch at a time, for at most a second.
 */
export function createPrune(dataSource: DataSource, clock: () => Date, retentionMs: number): () => Promise<void> {
  const sql = statementsOf(dataSource);
  let nextAt = 0;
  return async () => {
    const now = clock().getTime();
    if (now < nextAt) return;
    nextAt = now + PRUNE_EVERY_MS;
    await dataSource.query(sql(PARK_STRAYS));
    const cutoff = new Date(clock().getTime() - retentionMs);
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      const [, deleted] = (await dataSource.query(sql(PRUNE_EVENTS), [cutoff, PRUNE_BATCH])) as [unknown, number];
      if (deleted < PRUNE_BATCH) break;
    }
  };
}
