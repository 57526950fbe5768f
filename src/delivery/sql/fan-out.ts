/** Take the oldest events not yet fanned out; other dispatchers skip the locked ones. */
export const LOCK_PENDING_EVENTS = `
SELECT id, account_id, inbox_id, event, subject_type, subject_id, data, created_at
FROM webhook_events
WHERE fanned_out_at IS NULL
ORDER BY id
LIMIT $1
FOR UPDATE SKIP LOCKED`;

/**
 * One delivery per (event, webhook) for every enabled account webhook subscribed to the event.
 * A webhook with an inbox only gets that inbox's events; account-wide events (contacts) reach all.
 * Webhooks created after the event do not get it, however late the fan-out runs.
 */
export const INSERT_DELIVERIES = `
INSERT INTO webhook_deliveries (id, event_id, webhook_id, account_id, event, status, next_attempt_at)
SELECT gen_random_uuid(), e.id, w.id, e.account_id, e.event, 'pending', $2
FROM webhook_events e
JOIN webhooks w
  ON w.account_id = e.account_id
 AND w.enabled
 AND w.webhook_type = 0
 AND w.subscriptions ? e.event
 AND (w.inbox_id IS NULL OR e.inbox_id IS NULL OR w.inbox_id = e.inbox_id)
 AND w.created_at <= e.created_at
WHERE e.id = ANY($1::bigint[])
ON CONFLICT (event_id, webhook_id) DO NOTHING
RETURNING event_id`;

/** Freeze the bytes of each event and mark the batch done. */
export const MARK_FANNED_OUT = `
UPDATE webhook_events e
SET body = b.body, fanned_out_at = $3
FROM unnest($1::bigint[], $2::text[]) AS b(id, body)
WHERE e.id = b.id`;

/** Deliveries of an event whose payload could not be built (its row vanished, or building failed). */
export const FAIL_ORPHANED = `
UPDATE webhook_deliveries
SET status = 'failed', last_error = 'no payload could be built: the record was deleted first, or building failed (see the logs)', completed_at = $2, next_attempt_at = NULL
WHERE event_id = ANY($1::bigint[]) AND status = 'pending'`;

/** Events that reached no webhook (none subscribed): nothing will ever read them. */
export const DELETE_EVENTS = `DELETE FROM webhook_events WHERE id = ANY($1::bigint[])`;
