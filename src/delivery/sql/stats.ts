import type { Tables } from "../../tables";

/** Counts for a health endpoint, in one statement. */
export const STATS = (t: Tables): string => `
SELECT (SELECT count(*) FROM ${t.webhookEvents} WHERE fanned_out_at IS NULL)::int AS queued_events,
       count(*) FILTER (WHERE status = 'pending')::int AS pending,
       count(*) FILTER (WHERE status = 'failed')::int AS failed,
       count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded
FROM ${t.webhookDeliveries}`;
