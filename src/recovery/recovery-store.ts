import type { DataSource } from "typeorm";
import type { RecoveryOwnerKind, RecoveryState } from "../entities/webhook-recovery";
import { rowsOf } from "../delivery/rows";
import { statementsOf } from "../tables";
import { FIND_RECOVERY, FORGET_OLD_RECOVERIES, RUNNING_RECOVERY, START_RECOVERY } from "./sql/recovery-statements";

/** Whose failed deliveries: the owner the route named and the `webhooks` rows behind it. */
export interface RecoveryOwner {
  accountId: number;
  kind: RecoveryOwnerKind;
  id: number;
  /** Never empty; an agent bot has one per connected inbox. */
  webhookIds: number[];
}

/** A recovery as the API shows it. */
export interface Recovery {
  id: number;
  accountId: number;
  ownerKind: RecoveryOwnerKind;
  ownerId: number;
  since: Date;
  until: Date;
  state: RecoveryState;
  /** Failed deliveries in the range when it started; once finished, how many were made due. */
  total: number;
  /** Deliveries made due so far. */
  done: number;
  batches: number;
  createdAt: Date;
  updatedAt: Date | null;
  finishedAt: Date | null;
}

interface RecoveryRow {
  id: string;
  account_id: number;
  owner_kind: RecoveryOwnerKind;
  owner_id: number;
  since: Date;
  until: Date;
  state: RecoveryState;
  total: number;
  done: number;
  batches: number;
  created_at: Date;
  updated_at: Date | null;
  finished_at: Date | null;
}

const toRecovery = (row: RecoveryRow): Recovery => ({
  id: Number(row.id),
  accountId: row.account_id,
  ownerKind: row.owner_kind,
  ownerId: row.owner_id,
  since: row.since,
  until: row.until,
  state: row.state,
  total: row.total,
  done: row.done,
  batches: row.batches,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
});

/**
 * Start a recovery of the owner's failed deliveries in `[since, until]`, or answer the one already
 * running (`created: false`): a second call while one runs starts nothing.
 */
export async function startRecovery(
  dataSource: DataSource,
  owner: RecoveryOwner,
  range: { since: Date; until: Date },
  requestedBy: number | null,
  now: Date,
): Promise<{ recovery: Recovery; created: boolean }> {
  const sql = statementsOf(dataSource);
  const key = [owner.accountId, owner.kind, owner.id];
  const webhookIds = [...owner.webhookIds].sort((a, b) => a - b);
  // The running one may finish between the refused insert and the look-up: then insert again.
  for (let tries = 0; tries < 3; tries++) {
    const [started] = rowsOf<RecoveryRow>(await dataSource.query(sql(START_RECOVERY), [...key, webhookIds, range.since, range.until, requestedBy, now]));
    if (started) {
      await dataSource.query(sql(FORGET_OLD_RECOVERIES), key);
      return { recovery: toRecovery(started), created: true };
    }
    const [running] = rowsOf<RecoveryRow>(await dataSource.query(sql(RUNNING_RECOVERY), key));
    if (running) return { recovery: toRecovery(running), created: false };
  }
  throw new Error("could not start a recovery: one kept finishing and starting concurrently");
}

/** One recovery of the owner (by id), or its newest when `id` is null; null when there is none. */
export async function findRecovery(dataSource: DataSource, owner: Omit<RecoveryOwner, "webhookIds">, id: number | null): Promise<Recovery | null> {
  const [row] = rowsOf<RecoveryRow>(await dataSource.query(statementsOf(dataSource)(FIND_RECOVERY), [owner.accountId, owner.kind, owner.id, id]));
  return row ? toRecovery(row) : null;
}
