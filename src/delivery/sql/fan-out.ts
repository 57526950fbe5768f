import type { Tables } from "../../tables";

/** Take the oldest events not yet fanned out; other dispatchers skip the locked ones. */
export const LOCK_PENDING_EVENTS = (t: Tables): string => `
SELECT id, account_id, inbox_id, event, subject_type, subject_id, data, created_at
FROM ${t.webhookEvents}
WHERE fanned_out_at IS NULL
ORDER BY id
LIMIT $1
FOR UPDATE SKIP LOCKED`;

/**
 * One delivery per (event, webhook) for every enabled webhook subscribed to the event, of all
 * three kinds: an account webhook (`webhook_type` 0) with an inbox only gets that inbox's events,
 * and account-wide events (contacts) reach all; an API inbox (1) and an agent bot's connection to
 * an inbox (2) get only events of their inbox (their subscriptions are fixed by the triggers that
 * keep those rows). Webhooks created after the event do not get it, however late the fan-out runs.
 *
 * Rows for webhooks with room in this dispatcher are inserted already leased ($3): up to $4 per
 * webhook less what it has used ($5/$6), up to $8 per account less what it holds ($9/$10), and $7
 * in all; the rest wait for a claim.
 */
export const INSERT_DELIVERIES = (t: Tables): string => `
WITH targets AS (
  SELECT e.id AS event_id, w.id AS webhook_id, e.account_id, e.event, w.url, w.secret, w.webhook_type AS kind, e.subject_id, e.created_at AS committed_at,
         row_number() OVER (PARTITION BY w.id ORDER BY e.id) AS rank_in_webhook,
         $4::int - COALESCE(busy.n, 0) AS room
  FROM ${t.webhookEvents} e
  JOIN ${t.webhooks} w
    ON w.account_id = e.account_id
   AND w.enabled
   AND w.subscriptions ? e.event
   AND (w.inbox_id = e.inbox_id OR (w.webhook_type = 0 AND (w.inbox_id IS NULL OR e.inbox_id IS NULL)))
   AND w.created_at <= e.created_at
  LEFT JOIN unnest($5::int[], $6::int[]) AS busy(webhook_id, n) ON busy.webhook_id = w.id
  WHERE e.id = ANY($1::bigint[])
), leasable AS (
  -- Ranked among the rows their webhook and their account have room for, so rows a full webhook
  -- or account cannot take do not use up the room of the others.
  SELECT l.event_id, l.webhook_id, row_number() OVER (ORDER BY l.event_id, l.webhook_id) AS rank_overall
  FROM (
    SELECT event_id, webhook_id, account_id, row_number() OVER (PARTITION BY account_id ORDER BY event_id, webhook_id) AS rank_in_account
    FROM targets WHERE rank_in_webhook <= room
  ) l
  LEFT JOIN unnest($9::int[], $10::int[]) AS held(account_id, n) ON held.account_id = l.account_id
  WHERE l.rank_in_account <= $8::int - COALESCE(held.n, 0)
), inserted AS (
  INSERT INTO ${t.webhookDeliveries} (id, event_id, webhook_id, account_id, event, status, next_attempt_at, locked_until)
  SELECT gen_random_uuid(), t.event_id, t.webhook_id, t.account_id, t.event, 'pending', $2,
         CASE WHEN l.rank_overall <= $7 THEN $3::timestamptz END
  FROM targets t LEFT JOIN leasable l ON l.event_id = t.event_id AND l.webhook_id = t.webhook_id
  ON CONFLICT (event_id, webhook_id) DO NOTHING
  RETURNING id, event_id, webhook_id, account_id, event, locked_until IS NOT NULL AS leased
)
SELECT i.id, i.event_id, i.webhook_id, i.account_id, i.event, i.leased, t.url, t.secret, t.kind, t.subject_id, t.committed_at
FROM inserted i JOIN targets t ON t.event_id = i.event_id AND t.webhook_id = i.webhook_id`;

/** Freeze the bytes of each event and mark the batch done. */
export const MARK_FANNED_OUT = (t: Tables): string => `
UPDATE ${t.webhookEvents} e
SET body = b.body, fanned_out_at = $3
FROM unnest($1::bigint[], $2::text[]) AS b(id, body)
WHERE e.id = b.id`;

/** Deliveries of an event whose payload could not be built (its row vanished, or building failed). */
export const FAIL_ORPHANED = (t: Tables): string => `
UPDATE ${t.webhookDeliveries}
SET status = 'failed', last_error = 'no payload could be built: the record was deleted first, or building failed (see the logs)', completed_at = $2, next_attempt_at = NULL
WHERE event_id = ANY($1::bigint[]) AND status = 'pending'`;

/** Events that reached no webhook (none subscribed): nothing will ever read them. */
export const DELETE_EVENTS = (t: Tables): string => `DELETE FROM ${t.webhookEvents} WHERE id = ANY($1::bigint[])`;
