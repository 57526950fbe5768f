import type { Tables } from "../../tables";

/**
 * Delete finished events older than the retention cutoff, a small batch at a time; their
 * deliveries and attempts go with them (ON DELETE CASCADE). Events with a pending delivery stay.
 */
export const PRUNE_EVENTS = (t: Tables): string => `
DELETE FROM ${t.webhookEvents}
WHERE id IN (
  SELECT e.id FROM ${t.webhookEvents} e
  WHERE e.fanned_out_at < $1
    AND NOT EXISTS (SELECT 1 FROM ${t.webhookDeliveries} d WHERE d.event_id = e.id AND d.status = 'pending')
  ORDER BY e.id
  LIMIT $2
)`;

/**
 * Park pending deliveries of disabled webhooks that escaped the trigger: a fan-out that read the
 * webhook as enabled and committed after it was switched off. The claim's `w.enabled` keeps them
 * from being sent meanwhile; parked, they also stop costing claims a read.
 */
export const PARK_STRAYS = (t: Tables): string => `
UPDATE ${t.webhookDeliveries} d SET parked = true
FROM ${t.webhooks} w
WHERE d.status = 'pending' AND NOT d.parked AND w.id = d.webhook_id AND NOT w.enabled`;
