import type { Tables } from "../../tables";
import { earlierPending, oldestNotFannedOut } from "./ordering";
import { APPLY_IN_ORDER } from "./side-effects";

/**
 * Take the oldest events not yet fanned out (other dispatchers skip the locked ones) and, when $2,
 * apply the side effects of the new messages among them first, in the same statement (their rows
 * locked first, in one order for every fan-out: see APPLY_IN_ORDER): later statements of the
 * fan-out (the payloads) see the conversations as the side effects leave them.
 */
export const LOCK_PENDING_EVENTS = (t: Tables): string => `
WITH locked AS (
  SELECT id, account_id, inbox_id, event, subject_type, subject_id, data, created_at
  FROM ${t.webhookEvents}
  WHERE fanned_out_at IS NULL
  ORDER BY id
  LIMIT $1
  FOR UPDATE SKIP LOCKED
), ${APPLY_IN_ORDER(t, "locked", "$2::boolean")}
SELECT l.* FROM locked l CROSS JOIN applied ORDER BY l.id`;

/**
 * A delivery's id: the same whenever its (event, webhook) is fanned out, so a fan-out that sent
 * its leased rows and then failed to commit is redone with the ids already sent, and receivers
 * can drop the repeat by `X-Chatwoot-Delivery` / `webhook-id`. A name-based (MD5, version 3)
 * UUID; (event_id, webhook_id) is unique, so the id is too.
 */
const DELIVERY_ID = (event: string, webhook: string): string =>
  `overlay(overlay(md5('chatwoot-webhooks delivery ' || ${event} || ' ' || ${webhook}) placing '3' from 13) placing '8' from 17)::uuid`;

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
WITH keyed AS (
  SELECT e.id AS event_id, w.id AS webhook_id, e.account_id, e.event, busy.n AS busy,
         -- An ordered webhook's deliveries keep the order of their conversation (or contact).
         CASE WHEN w.ordered THEN CASE e.subject_type
           WHEN 'Conversation' THEN 'conversation:' || e.subject_id
           WHEN 'Message' THEN 'conversation:' || (SELECT m.conversation_id FROM ${t.messages} m WHERE m.id = e.subject_id)
           WHEN 'Contact' THEN 'contact:' || e.subject_id
         END END AS ordering_key
  FROM ${t.webhookEvents} e
  JOIN ${t.webhooks} w
    ON w.account_id = e.account_id
   AND w.enabled
   AND w.subscriptions ? e.event
   AND (w.inbox_id = e.inbox_id OR (w.webhook_type = 0 AND (w.inbox_id IS NULL OR e.inbox_id IS NULL)))
   AND w.created_at <= e.created_at
  LEFT JOIN unnest($5::int[], $6::int[]) AS busy(webhook_id, n) ON busy.webhook_id = w.id
  WHERE e.id = ANY($1::bigint[])
), targets AS (
  -- Room in its webhook; an ordered row also only when it is next of its key: first in this
  -- batch, and no earlier delivery of the key still pending (else a claim takes it in turn).
  SELECT k.*,
         row_number() OVER (PARTITION BY k.webhook_id ORDER BY k.event_id) <= $4::int - COALESCE(k.busy, 0)
         AND (k.ordering_key IS NULL OR (
           row_number() OVER (PARTITION BY k.webhook_id, k.ordering_key ORDER BY k.event_id) = 1
           AND NOT EXISTS (${earlierPending(t, "k")})
           -- Earlier events another dispatcher is fanning out right now may hold earlier rows of the key.
           AND k.event_id < ${oldestNotFannedOut(t, " AND u.id <> ALL($1::bigint[])")})) AS webhook_room
  FROM keyed k
), account_room AS (
  -- Counted among the rows their webhook has room for, so rows a full webhook cannot take do not
  -- use up the room of the others; likewise for accounts, then for this dispatcher.
  SELECT t.*, t.webhook_room AND count(*) FILTER (WHERE t.webhook_room) OVER (PARTITION BY t.account_id ORDER BY t.event_id, t.webhook_id)
           <= $8::int - COALESCE(held.n, 0) AS room
  FROM targets t
  LEFT JOIN unnest($9::int[], $10::int[]) AS held(account_id, n) ON held.account_id = t.account_id
), leasing AS (
  SELECT a.*, a.room AND count(*) FILTER (WHERE a.room) OVER (ORDER BY a.event_id, a.webhook_id) <= $7 AS leased
  FROM account_room a
), inserted AS (
  INSERT INTO ${t.webhookDeliveries} (id, event_id, webhook_id, account_id, event, status, next_attempt_at, locked_until, ordering_key)
  SELECT ${DELIVERY_ID("l.event_id", "l.webhook_id")}, l.event_id, l.webhook_id, l.account_id, l.event, 'pending', $2, CASE WHEN l.leased THEN $3::timestamptz END, l.ordering_key
  FROM leasing l
  ON CONFLICT (event_id, webhook_id) DO NOTHING
  RETURNING id, event_id, webhook_id, account_id, event, locked_until IS NOT NULL AS leased, ordering_key
)
-- Back to the tables by primary key, never a join of one CTE with another: with statistics that
-- do not know yet about a bulk of new webhooks, the planner would take such a join for one row
-- and loop over it (2,000 webhooks: 9.6 s instead of milliseconds).
SELECT i.id, i.event_id, i.webhook_id, i.account_id, i.event, i.leased, i.ordering_key, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at, w.webhook_type AS kind, e.subject_id, e.created_at AS committed_at
FROM inserted i
JOIN ${t.webhooks} w ON w.id = i.webhook_id
JOIN ${t.webhookEvents} e ON e.id = i.event_id`;

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
