import type { Tables } from "../../tables";

/**
 * The queue's state for the metrics gauges, in one round trip on every scrape. Each part reads a
 * partial index (`index_webhook_events_pending`, `index_webhook_deliveries_due`) or the small
 * `webhooks` table, so its cost grows with the backlog, never with the delivery log.
 * `$1` is now (the library's clock, as the claims see it). A due delivery whose attempt is in
 * flight still counts as due: it is late by as much as ever until its attempt is recorded.
 */
export const QUEUE_GAUGES = (t: Tables): string => `
SELECT (SELECT count(*) FROM ${t.webhookEvents} WHERE fanned_out_at IS NULL)::int AS events_waiting,
       (SELECT count(*) FROM ${t.webhookDeliveries} WHERE status = 'pending' AND NOT parked)::int AS pending,
       (SELECT count(*) FROM ${t.webhookDeliveries} WHERE status = 'pending' AND NOT parked AND next_attempt_at <= $1)::int AS due,
       (SELECT min(next_attempt_at) FROM ${t.webhookDeliveries} WHERE status = 'pending' AND NOT parked AND next_attempt_at <= $1) AS oldest_due_at,
       (SELECT coalesce(json_object_agg(reason, n), '{}') FROM (
          SELECT coalesce(disabled_reason, 'manual') AS reason, count(*)::int AS n FROM ${t.webhooks} WHERE NOT enabled GROUP BY 1) AS d) AS disabled`;

/** One row of {@link QUEUE_GAUGES}. */
export interface QueueGaugesRow {
  events_waiting: number;
  pending: number;
  due: number;
  oldest_due_at: Date | null;
  disabled: Record<string, number>;
}
