import type { Tables } from "../../tables";
import { earlierPending, oldestNotFannedOut } from "./ordering";

/**
 * Lease due deliveries in one short statement.
 *
 * $1 now, $2 how many, $3 what a webhook not listed may hold, $4/$5 webhooks listed and how much
 * of $3 each has used here, $6 webhooks already full, $7 lease end, $8 what an account may hold,
 * $9 accounts already full, $10/$11 accounts with deliveries here and how many. `SKIP LOCKED` lets
 * any number of dispatchers run side by side; the lease (`locked_until`) keeps a claimed row away
 * from them until it is recorded or the lease runs out (a crashed process). Full webhooks, full
 * accounts and disabled webhooks are left out before the LIMIT, so one endpoint's or one
 * account's backlog cannot crowd the others out; the window is four times the batch so that one
 * webhook's run of rows does not hide the others'. A disabled webhook's deliveries are `parked`
 * (out of the index this reads); `w.enabled` still guards the few a fan-out racing the switch may
 * have added unparked.
 */
export const CLAIM_DELIVERIES = (t: Tables): string => `
WITH candidates AS (
  SELECT d.id, d.webhook_id, d.account_id, d.next_attempt_at
  FROM ${t.webhookDeliveries} d
  JOIN ${t.webhooks} w ON w.id = d.webhook_id
  WHERE d.status = 'pending'
    AND NOT d.parked
    AND d.next_attempt_at <= $1
    AND (d.locked_until IS NULL OR d.locked_until <= $1)
    AND w.enabled
    AND d.webhook_id <> ALL($6::int[])
    AND d.account_id <> ALL($9::int[])
    -- An ordered webhook's delivery waits while an earlier one of its conversation is pending, or
    -- while an earlier event is not fanned out yet (another dispatcher may be inserting its rows).
    AND (d.ordering_key IS NULL OR (NOT EXISTS (${earlierPending(t, "d")}) AND d.event_id < ${oldestNotFannedOut(t)}))
  ORDER BY d.next_attempt_at
  LIMIT $2 * 4
  FOR UPDATE OF d SKIP LOCKED
), per_webhook AS (
  SELECT c.id, c.account_id, c.next_attempt_at
  FROM (
    SELECT c.*, row_number() OVER (PARTITION BY c.webhook_id ORDER BY c.next_attempt_at) AS rank,
           $3::int - COALESCE(busy.n, 0) AS room
    FROM candidates c
    LEFT JOIN unnest($4::int[], $5::int[]) AS busy(webhook_id, n) ON busy.webhook_id = c.webhook_id
  ) c
  WHERE c.rank <= c.room
), picked AS (
  SELECT a.id
  FROM (
    SELECT p.id, p.next_attempt_at, row_number() OVER (PARTITION BY p.account_id ORDER BY p.next_attempt_at) AS rank,
           $8::int - COALESCE(held.n, 0) AS room
    FROM per_webhook p
    LEFT JOIN unnest($10::int[], $11::int[]) AS held(account_id, n) ON held.account_id = p.account_id
  ) a
  WHERE a.rank <= a.room
  ORDER BY a.next_attempt_at
  LIMIT $2
)
UPDATE ${t.webhookDeliveries} d
SET locked_until = $7
FROM picked p, ${t.webhooks} w, ${t.webhookEvents} e
WHERE d.id = p.id AND w.id = d.webhook_id AND e.id = d.event_id
RETURNING d.id, d.webhook_id, d.account_id, d.event, d.attempts, d.status, d.next_attempt_at, d.ordering_key, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at, e.body, w.webhook_type AS kind, e.subject_id, e.created_at AS committed_at`;

/**
 * Lease one delivery for a manual attempt, whatever its status; nothing if another attempt holds
 * it, if it has no payload (its record vanished before fan-out), or if it is ordered and an
 * earlier delivery of its conversation is still pending (a redelivery does not overtake it).
 */
export const CLAIM_ONE = (t: Tables): string => `
UPDATE ${t.webhookDeliveries} d
SET locked_until = $3
FROM ${t.webhooks} w, ${t.webhookEvents} e
WHERE d.id = $1 AND (d.locked_until IS NULL OR d.locked_until <= $2) AND w.id = d.webhook_id AND e.id = d.event_id AND e.body IS NOT NULL
  AND (d.ordering_key IS NULL OR NOT EXISTS (${earlierPending(t, "d")}))
RETURNING d.id, d.webhook_id, d.account_id, d.event, d.attempts, d.status, d.next_attempt_at, d.ordering_key, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at, e.body, w.webhook_type AS kind, e.subject_id, e.created_at AS committed_at`;

/** Hand leases back, but only those still ours (same lease end): another dispatcher may hold it by now. */
export const RELEASE_LEASES = (t: Tables): string => `
UPDATE ${t.webhookDeliveries} d
SET locked_until = NULL
FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, lease)
WHERE d.id = r.id AND d.locked_until = r.lease AND d.status = 'pending'`;

/** Why a manual claim found nothing: no such delivery, no payload, an earlier delivery it must wait for, or a lease held. */
export const DELIVERY_STATE = (t: Tables): string => `
SELECT e.body IS NOT NULL AS has_body, (${WAITING_FOR(t)}) AS waiting_for
FROM ${t.webhookDeliveries} d JOIN ${t.webhookEvents} e ON e.id = d.event_id WHERE d.id = $1`;

/** The earliest pending delivery an ordered delivery (alias d) waits for (null for an unordered one). */
const WAITING_FOR = (t: Tables): string => `${earlierPending(t, "d")} ORDER BY p.event_id LIMIT 1`;

/** Hand back a manual attempt's lease that could not get a slot (any status: manual claims take failed rows too). */
export const RELEASE_MANUAL = (t: Tables): string => `
UPDATE ${t.webhookDeliveries} SET locked_until = NULL WHERE id = $1 AND locked_until = $2`;
