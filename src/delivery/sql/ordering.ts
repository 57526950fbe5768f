import type { Tables } from "../../tables";

/**
 * Rows of `row` (an alias with webhook_id, ordering_key, event_id) that come before it in an
 * ordered webhook's order: deliveries of the same webhook and key, for an earlier event, still
 * pending. What claims, fan-out, a manual claim and the delivery log each ask; read through the
 * partial index `index_webhook_deliveries_pending_in_order`.
 */
export const earlierPending = (t: Tables, row: string): string =>
  `SELECT p.id FROM ${t.webhookDeliveries} p WHERE p.webhook_id = ${row}.webhook_id AND p.ordering_key = ${row}.ordering_key AND p.status = 'pending' AND p.event_id < ${row}.event_id`;

/**
 * The oldest event not fanned out yet (`extra` narrows it, e.g. leaving out a batch), as a scalar
 * subquery PostgreSQL evaluates once per statement: an ordered delivery waits while an earlier
 * event may still be fanned out by another dispatcher.
 */
export const oldestNotFannedOut = (t: Tables, extra = ""): string =>
  `(SELECT COALESCE(min(u.id), 9223372036854775807) FROM ${t.webhookEvents} u WHERE u.fanned_out_at IS NULL${extra})`;
