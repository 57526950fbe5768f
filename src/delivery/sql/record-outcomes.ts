import type { Tables } from "../../tables";

/**
 * Record a batch of attempts in one round trip: the delivery rows (status, schedule, lease
 * released), the attempt log, and the webhooks' failure clocks (`failing_since` set on the first
 * failure, cleared by a success). `$1`–`$9` and `$13` are parallel arrays, one entry per attempt;
 * `$10` and `$12` the webhooks whose latest attempt in the batch succeeded / failed (disjoint),
 * `$11` when. `attempts` counts scheduled attempts (the schedule's position); manual ones are
 * in the attempt log only.
 */
export const RECORD_OUTCOMES = (t: Tables): string => `
WITH o AS (
  SELECT * FROM unnest(
    $1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::int[], $7::text[], $8::text[], $9::text[], $13::int[]
  ) AS o(id, status, next_attempt_at, attempted_at, status_code, duration_ms, error, response_body, trigger, attempt)
), deliveries AS (
  UPDATE ${t.webhookDeliveries} d
  SET status = o.status,
      attempts = d.attempts + CASE WHEN o.trigger = 'scheduled' THEN 1 ELSE 0 END,
      next_attempt_at = o.next_attempt_at,
      locked_until = NULL,
      last_attempt_at = o.attempted_at,
      last_status_code = o.status_code,
      last_error = o.error,
      completed_at = CASE WHEN o.status = 'pending' THEN NULL ELSE o.attempted_at END
  FROM o
  -- Idempotent: a scheduled attempt lands only on the row that has the attempts before it.
  WHERE d.id = o.id AND (o.trigger = 'manual' OR d.attempts = o.attempt - 1)
  RETURNING d.id
), attempts AS (
  INSERT INTO ${t.webhookAttempts} (delivery_id, attempted_at, duration_ms, status_code, error, response_body, trigger)
  SELECT o.id, o.attempted_at, o.duration_ms, o.status_code, o.error, o.response_body, o.trigger
  FROM o JOIN deliveries ON deliveries.id = o.id
), healthy AS (
  UPDATE ${t.webhooks} SET failing_since = NULL WHERE id = ANY($10::int[]) AND failing_since IS NOT NULL
), failing AS (
  UPDATE ${t.webhooks} SET failing_since = $11 WHERE id = ANY($12::int[]) AND failing_since IS NULL
)
SELECT count(*)::int AS recorded FROM deliveries`;

/**
 * Switch off account webhooks that answered 410 Gone, or that have failed without a success since
 * before the cutoff (an API inbox or an agent bot is its owner's to switch off, never ours). Returns what it disabled so the host can be told.
 */
export const DISABLE_WEBHOOKS = (t: Tables): string => `
UPDATE ${t.webhooks}
SET enabled = false,
    disabled_reason = CASE WHEN id = ANY($1::int[]) THEN 'gone' ELSE 'failing' END,
    updated_at = now()
WHERE enabled
  AND webhook_type = 0
  AND (id = ANY($1::int[]) OR (id = ANY($2::int[]) AND failing_since <= $3))
RETURNING id, account_id, disabled_reason`;
