import type { Tables } from "../../tables";

/** The columns a recovery is answered with (timestamps as dates, the cursor left out). */
const RECOVERY_COLUMNS = `id, account_id, owner_kind, owner_id, since, until, state, total, done, batches, created_at, updated_at, finished_at`;

/** Before any delivery id: where a webhook's walk starts (a random UUID is never all zeros). */
export const FIRST_ID = "00000000-0000-0000-0000-000000000000";

/**
 * Start a recovery, or nothing when one of this owner is running (the partial unique index decides,
 * so two concurrent calls cannot both start one). `total` counts the failed deliveries in the range
 * from `index_webhook_deliveries_failed`. $1 account, $2 owner kind, $3 owner id, $4 webhook ids
 * (ascending), $5 since, $6 until, $7 requested by, $8 now.
 */
export const START_RECOVERY = (t: Tables): string => `
INSERT INTO ${t.webhookRecoveries} (account_id, owner_kind, owner_id, webhook_ids, since, until, total, cursor_webhook_id, cursor_created_at, cursor_id, requested_by, created_at, updated_at)
SELECT $1, $2, $3, $4::int[], $5, $6,
       (SELECT count(*)::int FROM ${t.webhookDeliveries} d WHERE d.webhook_id = ANY($4::int[]) AND d.status = 'failed' AND d.created_at >= $5 AND d.created_at <= $6),
       ($4::int[])[1], $5, '${FIRST_ID}', $7, $8, $8
ON CONFLICT (account_id, owner_kind, owner_id) WHERE state = 'running' DO NOTHING
RETURNING ${RECOVERY_COLUMNS}`;

/** The owner's running recovery, if any. $1 account, $2 kind, $3 owner id. */
export const RUNNING_RECOVERY = (t: Tables): string => `
SELECT ${RECOVERY_COLUMNS} FROM ${t.webhookRecoveries}
WHERE account_id = $1 AND owner_kind = $2 AND owner_id = $3 AND state = 'running'`;

/** One recovery of the owner by id ($4), or its newest when $4 is null. */
export const FIND_RECOVERY = (t: Tables): string => `
SELECT ${RECOVERY_COLUMNS} FROM ${t.webhookRecoveries}
WHERE account_id = $1 AND owner_kind = $2 AND owner_id = $3 AND ($4::bigint IS NULL OR id = $4::bigint)
ORDER BY id DESC LIMIT 1`;

/** Finished recoveries of the owner beyond the newest 20 are forgotten when another starts. */
export const FORGET_OLD_RECOVERIES = (t: Tables): string => `
DELETE FROM ${t.webhookRecoveries} r
WHERE r.account_id = $1 AND r.owner_kind = $2 AND r.owner_id = $3 AND r.state = 'finished'
  AND r.id < (SELECT min(k.id) FROM (SELECT id FROM ${t.webhookRecoveries} WHERE account_id = $1 AND owner_kind = $2 AND owner_id = $3 ORDER BY id DESC LIMIT 20) k)`;

/**
 * Lease running recoveries nobody runs (never leased, lease run out: its process stopped or
 * died) and renew ours. $1 now, $2 lease end, $3 this runner's token, $4 how many.
 */
export const CLAIM_RECOVERIES = (t: Tables): string => `
UPDATE ${t.webhookRecoveries} r
SET locked_until = $2, locked_by = $3
WHERE r.id IN (
  SELECT id FROM ${t.webhookRecoveries}
  WHERE state = 'running' AND (locked_by = $3 OR locked_until IS NULL OR locked_until <= $1)
  ORDER BY id LIMIT $4
  FOR UPDATE SKIP LOCKED)
RETURNING r.id`;

/** Hand our leases back (a stopping process), so another process takes over at once. $1 token. */
export const RELEASE_RECOVERIES = (t: Tables): string => `
UPDATE ${t.webhookRecoveries} SET locked_until = NULL, locked_by = NULL WHERE locked_by = $1 AND state = 'running'`;

/**
 * Lock a recovery for one batch, if it still runs under our lease. Timestamps come back as text,
 * which keeps their microseconds (a JavaScript date would drop them and walk a row twice).
 */
export const LOCK_RECOVERY = (t: Tables): string => `
SELECT webhook_ids, since::text AS since, until::text AS until, cursor_webhook_id, cursor_created_at::text AS cursor_created_at, cursor_id::text AS cursor_id
FROM ${t.webhookRecoveries}
WHERE id = $1 AND state = 'running' AND locked_by = $2
FOR UPDATE`;

/**
 * One batch: the next failed deliveries of one webhook after the cursor, in creation order, made
 * due now (same id, same body, attempts and log kept). A disabled webhook's are parked, as its
 * pending deliveries are. Deliveries without a payload (their record vanished before fan-out)
 * are passed over: no attempt could send them. Returns how many were read and moved, and the
 * cursor's new place. $1 webhook, $2/$3 cursor, $4 until, $5 batch size, $6 now.
 */
export const RECOVER_BATCH = (t: Tables): string => `
WITH picked AS (
  SELECT d.id, d.created_at
  FROM ${t.webhookDeliveries} d
  WHERE d.webhook_id = $1 AND d.status = 'failed' AND (d.created_at, d.id) > ($2::timestamptz, $3::uuid) AND d.created_at <= $4::timestamptz
  ORDER BY d.created_at, d.id
  LIMIT $5
  FOR UPDATE OF d
), moved AS (
  UPDATE ${t.webhookDeliveries} d
  SET status = 'pending', next_attempt_at = $6, completed_at = NULL, parked = NOT w.enabled
  FROM picked p, ${t.webhooks} w, ${t.webhookEvents} e
  WHERE d.id = p.id AND w.id = d.webhook_id AND e.id = d.event_id AND e.body IS NOT NULL
  RETURNING d.id
)
SELECT (SELECT count(*)::int FROM picked) AS picked, (SELECT count(*)::int FROM moved) AS moved, last.created_at::text AS last_created_at, last.id::text AS last_id
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (SELECT created_at, id FROM picked ORDER BY created_at DESC, id DESC LIMIT 1) AS last ON true`;

/**
 * After a batch: counts, the cursor's new place, and the lease renewed; or, after the last
 * batch, finished (the total becomes what was made due). $1 id, $2 moved, $3 finished, $4/$5/$6
 * cursor, $7 now, $8 lease end.
 */
export const ADVANCE_RECOVERY = (t: Tables): string => `
UPDATE ${t.webhookRecoveries}
SET done = done + $2::int,
    batches = batches + 1,
    total = CASE WHEN $3::boolean THEN done + $2::int ELSE greatest(total, done + $2::int) END,
    state = CASE WHEN $3::boolean THEN 'finished' ELSE state END,
    finished_at = CASE WHEN $3::boolean THEN $7::timestamptz END,
    cursor_webhook_id = $4::int, cursor_created_at = $5::timestamptz, cursor_id = $6::uuid,
    locked_until = CASE WHEN $3::boolean THEN NULL ELSE $8::timestamptz END,
    locked_by = CASE WHEN $3::boolean THEN NULL ELSE locked_by END,
    updated_at = $7::timestamptz
WHERE id = $1
RETURNING state`;
