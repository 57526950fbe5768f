import type { EntityManager } from "typeorm";
import { rowsOf } from "../delivery/rows";
import type { Tables } from "../tables";

/** Whose secret is rotated: an account webhook, an API inbox's channel, or an agent bot of the account. */
export type RotationOwnerKind = "webhook" | "inbox" | "agent_bot";

/** An owner's secret and its rotation, as stored (the channel's row for an inbox). */
export interface RotationRow {
  /** The row that holds the secret: the webhook, the `channel_api` row, or the bot. */
  row_id: number;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  secret_rotated_at: Date | null;
  secret_rotated_by_id: number | null;
}

const COLUMNS = "secret, previous_secret, previous_secret_expires_at, secret_rotated_at, secret_rotated_by_id";

/** The table that holds the secret of each kind. */
function tableOf(t: Tables, kind: RotationOwnerKind): string {
  return kind === "webhook" ? t.webhooks : kind === "inbox" ? t.channelApi : t.agentBots;
}

/**
 * The owner's row, locked until the transaction ends, or null when the account has no such owner:
 * only account webhooks (not the mirror rows), only API-channel inboxes, only the account's own
 * bots (a system bot belongs to no account). Another account's id is as unknown as a missing one.
 */
export async function lockOwner(manager: EntityManager, t: Tables, kind: RotationOwnerKind, accountId: number, id: number): Promise<RotationRow | null> {
  const sql =
    kind === "webhook"
      ? `SELECT id AS row_id, ${COLUMNS} FROM ${t.webhooks} WHERE id = $1 AND account_id = $2 AND webhook_type = 0 FOR UPDATE`
      : kind === "inbox"
        ? `SELECT c.id AS row_id, ${prefixed("c")} FROM ${t.inboxes} i JOIN ${t.channelApi} c ON c.id = i.channel_id
           WHERE i.id = $1 AND i.account_id = $2 AND i.channel_type = 'Channel::Api' AND c.account_id = $2 FOR UPDATE OF c`
        : `SELECT id AS row_id, ${COLUMNS} FROM ${t.agentBots} WHERE id = $1 AND account_id = $2 FOR UPDATE`;
  const rows = (await manager.query(sql, [id, accountId])) as RotationRow[];
  return rows[0] ?? null;
}

/** What a rotation writes. */
export interface RotationWrite {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  rotatedAt: Date;
  rotatedById: number | null;
}

/**
 * Write a rotation. For an API channel or a bot, the mirror triggers copy the new secret, the
 * previous one and its expiry onto their `webhooks` rows in the same statement.
 */
export async function writeRotation(manager: EntityManager, t: Tables, kind: RotationOwnerKind, rowId: number, write: RotationWrite): Promise<RotationRow> {
  const rows = rowsOf<RotationRow>(await manager.query(
    `UPDATE ${tableOf(t, kind)}
     SET secret = $2, previous_secret = $3, previous_secret_expires_at = $4, secret_rotated_at = $5, secret_rotated_by_id = $6, updated_at = now()
     WHERE id = $1
     RETURNING id AS row_id, ${COLUMNS}`,
    [rowId, write.secret, write.previousSecret, write.previousSecretExpiresAt, write.rotatedAt, write.rotatedById],
  ));
  return rows[0];
}

/**
 * Stop signing with the previous secret: it is forgotten, and the overlap's end becomes `now`
 * (or stays, if it had already passed). Nothing changes when there is no previous secret.
 */
export async function endOverlap(manager: EntityManager, t: Tables, kind: RotationOwnerKind, rowId: number, now: Date): Promise<RotationRow | null> {
  const rows = rowsOf<RotationRow>(await manager.query(
    `UPDATE ${tableOf(t, kind)}
     SET previous_secret = NULL, previous_secret_expires_at = LEAST(previous_secret_expires_at, $2), updated_at = now()
     WHERE id = $1 AND previous_secret IS NOT NULL
     RETURNING id AS row_id, ${COLUMNS}`,
    [rowId, now],
  ));
  return rows[0] ?? null;
}

function prefixed(alias: string): string {
  return COLUMNS.split(", ")
    .map((column) => `${alias}.${column}`)
    .join(", ");
}
